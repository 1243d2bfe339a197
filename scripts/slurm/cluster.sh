#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 for trying the scripts here and for the
# test suite: munged + slurmctld + slurmd as background processes, all state
# under STATE_DIR, no systemd, nothing outside STATE_DIR touched.
#
#   scripts/slurm/cluster.sh start STATE_DIR   # prints: export SLURM_CONF=...
#   scripts/slurm/cluster.sh stop  STATE_DIR   # stops the three daemons by PID
#
# Needs Debian's slurm-wlm and munge, and root (slurmd runs jobs as the
# submitting user and must be able to switch to it). Ports: CLIPCRAWL_SLURM_PORT
# and the one after it (default 16817/16818).
set -euo pipefail
cmd=${1:-}; state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }

stop() {
  for f in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munge/munged.pid"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
for b in munged slurmctld slurmd sbatch; do
  command -v "$b" >/dev/null || { echo "cluster.sh: $b not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
mkdir -p "$state"
state=$(cd "$state" && pwd)
mkdir -p "$state/munge" "$state/log" "$state/spool" "$state/ctld"
chmod 755 "$state" "$state/munge"
if [ ! -f "$state/munge/munge.key" ]; then
  head -c 1024 /dev/urandom > "$state/munge/munge.key"
  chmod 400 "$state/munge/munge.key"
fi
munged --force -S "$state/munge/sock" --key-file="$state/munge/munge.key" \
  --log-file="$state/munge/munged.log" --pid-file="$state/munge/munged.pid" \
  --seed-file="$state/munge/munged.seed"

port=${CLIPCRAWL_SLURM_PORT:-16817}
host=$(hostname -s)
cat > "$state/slurm.conf" <<CONF
ClusterName=clipcrawl
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/sock
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
KillWait=5
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$state/slurm.conf
slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  sinfo -h -o '%t' 2>/dev/null | grep -qx 'idle' && { echo "export SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.2
done
echo "cluster.sh: the node did not come up; logs in $state/log" >&2
stop
exit 1
