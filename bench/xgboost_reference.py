"""XGBoost on the feature matrix fraudlab's trainer saw: the independent reference for bench/model-vs-xgboost.ts.

Reads values.f32 (row-major float32, NaN = missing), labels.u8, validation.u8 and meta.json from the
folder given as argv[1]; trains with the same hyper-parameters; writes xgb-valid.f32 (validation
probabilities, in row order) and prints a JSON line with the training time. Used by the benchmark
only: fraudlab never needs Python.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb

folder, threads = sys.argv[1], int(sys.argv[2])
meta = json.load(open(f"{folder}/meta.json"))
values = np.fromfile(f"{folder}/values.f32", dtype=np.float32).reshape(meta["rows"], meta["columns"])
labels = np.fromfile(f"{folder}/labels.u8", dtype=np.uint8).astype(np.float32)
valid = np.fromfile(f"{folder}/validation.u8", dtype=np.uint8).astype(bool)
p = meta["params"]
params = {
    "objective": "binary:logistic",
    "eval_metric": "aucpr",
    "tree_method": "hist",
    "grow_policy": "lossguide",
    "max_depth": p["maxDepth"],
    "max_leaves": p["maxLeaves"],
    "eta": p["learningRate"],
    "subsample": p["subsample"],
    "colsample_bytree": p["colsample"],
    "min_child_weight": p["minChildWeight"],
    "lambda": p["lambda"],
    "max_bin": p["maxBins"],
    "nthread": threads,
    "seed": 1,
}
build_started = time.perf_counter()
dtrain = xgb.DMatrix(values[~valid], label=labels[~valid], missing=np.nan, nthread=threads)
dvalid = xgb.DMatrix(values[valid], label=labels[valid], missing=np.nan, nthread=threads)
started = time.perf_counter()
booster = xgb.train(params, dtrain, num_boost_round=p["rounds"], evals=[(dvalid, "valid")], verbose_eval=False)
train_seconds = time.perf_counter() - started
booster.predict(dvalid).astype(np.float32).tofile(f"{folder}/xgb-valid.f32")
print(json.dumps({"xgboost": xgb.__version__, "threads": threads, "trainSeconds": train_seconds, "dmatrixSeconds": started - build_started}))
