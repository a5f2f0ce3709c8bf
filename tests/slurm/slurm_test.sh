#!/usr/bin/env bash
# A real one-node SLURM cluster (Debian's slurm-wlm and munge, as plain
# processes in a temporary folder), a sweep submitted with
# slurm/lsweep.sbatch, the time-limit warning sent with
# `scancel --signal=USR1 --batch`, and checks that the requeued job completes
# every point with none lost, none run twice, and results identical to a
# sweep without interruption. The daemons are stopped by process id.
# Exits 77 (skipped) where it cannot run: not root, or SLURM not installed.
set -euo pipefail
lsweep=$1 root=$2 mpiexec=$3
py=${LSWEEP_PYTHON:-/usr/bin/python3}
e2e=$root/tests/e2e
for tool in slurmctld slurmd munged mungekey sbatch scontrol scancel sinfo; do
  command -v "$tool" > /dev/null || { echo "slurm_test.sh: SKIPPED: $tool not installed (scripts/setup.sh installs it)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm_test.sh: SKIPPED: slurmd needs root"; exit 77; }

tmp=$(mktemp -d /tmp/lsweep_slurm_XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$p" 2> /dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "slurm_test.sh: FAILED: $*"; for f in "$tmp"/log/* "$tmp"/job-*.out; do [ -f "$f" ] && { echo "== $f"; tail -20 "$f"; }; done; exit 1; }
# until SECONDS CMD...: polls CMD every 0.2 s until it succeeds; fails after SECONDS.
until_ok() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.2; done
}

mkdir -p "$tmp"/{munge,state,spool,log}
chmod 700 "$tmp/munge"
mungekey --create --keyfile="$tmp/munge/munge.key"
munged -F -f --socket="$tmp/munge/munge.sock" --key-file="$tmp/munge/munge.key" --pid-file="$tmp/munge/pid" \
  --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/seed" > "$tmp/log/munged.out" 2>&1 &
pids+=($!)
until_ok 20 test -S "$tmp/munge/munge.sock" || fail "munged did not start"

host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
cat > "$tmp/slurm.conf" <<CONF
ClusterName=lsweeptest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.sock,cred_expire=10
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
MpiDefault=pmix
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
EnforcePartLimits=ALL
JobAcctGatherType=jobacct_gather/none
SlurmdParameters=config_overrides
ReturnToService=2
JobRequeue=1
MinJobAge=600
NodeName=$host CPUs=4 RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" > "$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
until_ok 60 bash -c '[ "$(sinfo -h -o %T 2> /dev/null)" = idle ]' || fail "the node did not become idle"

job=$e2e/crash_job.toml
"$mpiexec" --oversubscribe -n 3 "$lsweep" --log-level error run "$job" --store "$tmp/reference.h5" > /dev/null

store=$tmp/sweep.h5
jid=$(sbatch --parsable --ntasks=3 --output="$tmp/job-%j.out" --chdir="$tmp" \
  --export=ALL,LSWEEP_BIN="$lsweep" "$root/slurm/lsweep.sbatch" "$job" "$store")
echo "slurm_test.sh: submitted job $jid"
left() { "$lsweep" status --left "$store" 2> /dev/null || echo 80; }
until_ok 120 bash -c "[ \"\$('$lsweep' status --left '$store' 2> /dev/null || echo 80)\" -le 77 ]" || fail "no point finished"
"$py" "$e2e/finished_rows.py" "$store" > "$tmp/finished_before.txt"
scancel --signal=USR1 --batch "$jid"
state() { scontrol show job "$jid" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
until_ok 120 bash -c "[ \"\$(scontrol show job $jid | grep -o 'Restarts=[0-9]*')\" = Restarts=1 ]" || fail "job $jid was not requeued"
# SLURM holds a requeued job for cred_expire (default 120 s, 10 s here) while
# its old credential is revoked; forcing StartTime=now inside that window gets
# the job killed ("Job credential revoked"). So the test shortens the hold
# instead of resetting the start time, and SLURM releases the job itself.
until_ok 300 bash -c "[ \"\$(scontrol show job $jid | grep -o 'JobState=[A-Z]*')\" = JobState=COMPLETED ]" ||
  fail "job $jid did not complete (state $(state))"

out=$tmp/job-$jid.out
grep -q 'got a signal: draining' "$out" || fail "the batch script did not see the warning"
grep -q 'lsweep exited 4; points left: [1-9]' "$out" || fail "the first run did not drain with points left"
grep -q 'requeueing to resume' "$out" || fail "the batch script did not requeue"
grep -q '(restart 1): sweep finished' "$out" || fail "the requeued job did not finish the sweep"
[ "$(left)" -eq 0 ] || fail "points left after the requeued job"
"$py" "$e2e/finished_rows.py" "$store" > "$tmp/finished_after.txt"
[ "$(wc -l < "$tmp/finished_after.txt")" -eq 80 ] || fail "not every point finished"
[ -z "$(comm -23 <(sort "$tmp/finished_before.txt") <(sort "$tmp/finished_after.txt"))" ] ||
  fail "a point finished before the warning was run again"
"$py" "$e2e/compare_stores.py" "$tmp/reference.h5" "$store"
echo "slurm_test.sh: drained $(grep -o 'points left: [0-9]*' "$out" | head -1), requeued, completed: all checks passed"
