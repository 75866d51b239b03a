// A process' CPU time and peak memory from /proc (Linux), for the benchmarks that watch other processes.
import { readFileSync } from 'node:fs'

/** User plus system CPU time of a process so far, in microseconds (clock ticks of 10 ms); undefined once it has exited. */
export function processCpuUs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return undefined
  }
}

/** Peak resident memory of a process so far (VmHWM), in MB; undefined once it has exited. */
export function processPeakRssMb(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Math.round(Number(match[1]) / 1024) : undefined
  } catch {
    return undefined
  }
}

/** The whole machine's CPU time so far, busy and in all (every core, from /proc/stat), in microseconds. */
export function machineCpuUs(): { busyUs: number; totalUs: number } {
  // cpu  user nice system idle iowait irq softirq steal …: idle and iowait are the time not busy.
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
  const totalUs = fields.reduce((sum, ticks) => sum + ticks, 0) * 10_000
  return { busyUs: totalUs - (fields[3] + fields[4]) * 10_000, totalUs }
}
