/** The line an emulator host prints on stdout once it listens: the marker, then `{"port":N}`. */
export const READY_MARKER = 'FRAUDLAB_EMULATOR_READY '
