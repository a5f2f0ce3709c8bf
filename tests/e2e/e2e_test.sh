#!/usr/bin/env bash
# End to end: a 2x2x2 sweep at 3 ranks and at 2 ranks; checks the stored rows
# (recomputation, h5py, h5dump, report CSV) and that both stores are identical.
# Then a sweep whose every point fails on the worker (missing data files).
set -euo pipefail
lsweep=$1 recompute=$2 here=$3 mpiexec=$4 h5dump=$5
py=${LSWEEP_PYTHON:-/usr/bin/python3}  # Debian's interpreter, which has python3-h5py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
job=$here/e2e_job.toml

"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$job" --store "$tmp/np3.h5"
"$mpiexec" --oversubscribe -n 2 "$lsweep" --log-level warn run "$job" --store "$tmp/np2.h5"

"$recompute" "$job" "$tmp/np3.h5"
"$py" "$here/check_store.py" "$job" "$tmp/np3.h5" 3
"$py" "$here/check_store.py" "$job" "$tmp/np2.h5" 2
"$py" "$here/compare_stores.py" "$tmp/np2.h5" "$tmp/np3.h5"

# Packs (train.pack = 4: here each (batch, width) pair's two learning rates, one
# of which diverges): bit-identical stores at 2 and 3 ranks, and the one-point
# results to float32 rounding.
sed '/^steps = /a pack = 4' "$job" > "$tmp/pack_job.toml"
grep -q '^pack = 4$' "$tmp/pack_job.toml"
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$tmp/pack_job.toml" --store "$tmp/pack3.h5"
"$mpiexec" --oversubscribe -n 2 "$lsweep" --log-level warn run "$tmp/pack_job.toml" --store "$tmp/pack2.h5"
"$py" "$here/compare_stores.py" "$tmp/pack2.h5" "$tmp/pack3.h5"
"$py" "$here/compare_stores.py" --rtol 1e-4 "$tmp/np3.h5" "$tmp/pack3.h5"

# Teams (train.team = 2: two ranks per point, summing their slices' gradients
# over MPI): one team (3 ranks) and two (5 ranks) give bit-identical stores,
# equal to the one-rank-per-point results to float32 rounding; 4 ranks do not
# form teams of 2 and are refused.
sed '/^steps = /a team = 2' "$job" > "$tmp/team_job.toml"
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$tmp/team_job.toml" --store "$tmp/team3.h5"
"$mpiexec" --oversubscribe -n 5 "$lsweep" --log-level warn run "$tmp/team_job.toml" --store "$tmp/team5.h5"
"$py" "$here/compare_stores.py" "$tmp/team3.h5" "$tmp/team5.h5"
"$py" "$here/compare_stores.py" --rtol 1e-4 "$tmp/np3.h5" "$tmp/team3.h5"
rc=0
"$mpiexec" --oversubscribe -n 4 "$lsweep" run "$tmp/team_job.toml" --store "$tmp/team4.h5" 2> "$tmp/team4.err" || rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$tmp/team4.h5" ] && grep -q 'train.team = 2: the 3 worker rank(s) of mpirun -np 4 do not form teams of 2' "$tmp/team4.err" ||
  { echo "FAILED: 4 ranks with train.team = 2: exit $rc"; cat "$tmp/team4.err"; exit 1; }
"$h5dump" -H "$tmp/np3.h5" > "$tmp/dump.txt"
grep -q 'DATASET "final_train_loss"' "$tmp/dump.txt"
"$h5dump" -d /points/status "$tmp/np3.h5" | grep -q '"diverged"'

"$lsweep" report --csv "$tmp/np3.h5" > "$tmp/report.csv"
"$py" "$here/loader_test.py" "$tmp/np3.h5" "$tmp/report.csv" "$here/../../tools"
head -1 "$tmp/report.csv" | grep -q '^point_id,lr,batch,width,seed,status,final_train_loss,final_test_loss,train_accuracy,test_accuracy,steps,wall_seconds,lambda_max,lambda_max_residual,eos_ratio,lambda_min,hessian_trace,hessian_trace_err,grad_noise_trace,noise_alignment,line_barrier,weights_param_norm,weights_distance_sq,weights_grad_norm,error,row_check$'
[ "$(wc -l < "$tmp/report.csv")" -eq 9 ]
[ "$(grep -c ',done,' "$tmp/report.csv")" -eq 4 ]
[ "$(grep -c ',diverged,' "$tmp/report.csv")" -eq 4 ]
[ "$(grep -c ',ok$' "$tmp/report.csv")" -eq 8 ]
"$lsweep" report "$tmp/np3.h5" | grep -q '8 points: 4 done 4 diverged'
"$py" "$here/../../tools/plot_sweep.py" "$tmp/np3.h5" "$tmp/figure.png"
"$py" -c 'import sys; sys.exit(open(sys.argv[1], "rb").read(8) != b"\x89PNG\r\n\x1a\n")' "$tmp/figure.png"
# Curvature: finite for the done points, NaN for the diverged; the figures are drawn.
"$py" -c '
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
done = [r for r in rows if r["status"] == "done"]
assert all(float(r["lambda_max"]) > 0 and float(r["lambda_max_residual"]) < 1e-3 * float(r["lambda_max"]) for r in done), done
assert all(math.isnan(float(r["lambda_max"])) for r in rows if r["status"] == "diverged")' "$tmp/report.csv"
"$py" "$here/../../tools/curvature_figures.py" "$tmp/np3.h5" "$tmp/curv" > "$tmp/curv.txt"
for f in sharpness_vs_loss eos density heatmap; do
  "$py" -c 'import sys; sys.exit(open(sys.argv[1], "rb").read(8) != b"\x89PNG\r\n\x1a\n")' "$tmp/curv-$f.png"
done

# The stored parameters rebuild the trained networks in PyTorch (float64).
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level warn run "$here/params_job.toml" --store "$tmp/params.h5"
"$recompute" "$here/params_job.toml" "$tmp/params.h5"
"$py" "$here/check_params.py" "$tmp/params.h5"

# Every point fails on its worker; the sweep still completes and records why.
cat > "$tmp/broken.toml" <<JOB
[grid]
lr = [0.1]
batch = [4]
width = [4, 8, 16]
[data]
kind = "fashion_mnist"
train_size = 16
path = "$tmp/no-such-folder"
[train]
loss = "mse"
steps = 3
JOB
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$tmp/broken.toml" --store "$tmp/broken.h5"
"$lsweep" report --csv "$tmp/broken.h5" > "$tmp/broken.csv"
[ "$(grep -c ',failed,.*no-such-folder.*cannot be opened' "$tmp/broken.csv")" -eq 3 ]
echo "e2e_test.sh: all checks passed"
