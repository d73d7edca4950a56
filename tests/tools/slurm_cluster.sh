# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# A Slurm cluster of the tests' own on this machine, from Debian's slurmctld,
# slurmd and munge: one munged, one slurmctld and N slurmd (nodes node1..N,
# each a slurmd of its own on 127.0.0.1 with its own port), everything -
# configuration, keys, sockets, state, logs - in one directory. Sourced by
# the tests; needs root (slurmd starts the tasks as their users).
#
#   slurm_cluster_start DIR [NODES]   start it (2 nodes by default); exports SLURM_CONF
#   slurm_cluster_stop DIR            stop every daemon it started
#
# Ports are taken free at start. A start that fails says why (the last log
# lines) on stderr and returns 1, with what it started stopped.

# A TCP port nobody listens on now.
slurm_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until sinfo shows every node idle (at most 30 s).
slurm_wait_idle() {
	local nodes=$1 i
	for i in $(seq 150); do
		[ "$(sinfo -h -t idle -o '%D' 2>/dev/null | awk '{ n += $1 } END { print n + 0 }')" = "$nodes" ] && return 0
		sleep 0.2
	done
	return 1
}

slurm_cluster_start() {
	local dir=$1 nodes=${2:-2} ctld_port n
	mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge" "$dir/munge-socket"
	# The key is root's; the socket is every user's (each user's srun asks munged).
	chmod 755 "$dir" "$dir/munge-socket"
	chmod 700 "$dir/munge"
	dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
	chmod 400 "$dir/munge/munge.key"
	ctld_port=$(slurm_free_port)
	{
		echo "ClusterName=envlocktest"
		echo "SlurmctldHost=localhost(127.0.0.1)"
		echo "SlurmUser=root"
		echo "SlurmdUser=root"
		echo "AuthType=auth/munge"
		echo "AuthInfo=socket=$dir/munge-socket/munge.sock"
		echo "CredType=cred/munge"
		echo "StateSaveLocation=$dir/state"
		echo "SlurmdSpoolDir=$dir/spool/%n"
		echo "SlurmctldPidFile=$dir/slurmctld.pid"
		echo "SlurmdPidFile=$dir/slurmd-%n.pid"
		echo "SlurmctldLogFile=$dir/log/slurmctld.log"
		echo "SlurmdLogFile=$dir/log/slurmd-%n.log"
		echo "SlurmctldPort=$ctld_port"
		# No cgroup plugins: the test machine's cgroup tree is not Slurm's to configure.
		echo "ProctrackType=proctrack/linuxproc"
		echo "TaskPlugin=task/none"
		echo "JobAcctGatherType=jobacct_gather/none"
		echo "SchedulerType=sched/builtin"
		echo "SelectType=select/cons_tres"
		echo "SelectTypeParameters=CR_Core"
		echo "ReturnToService=2"
		echo "MpiDefault=none"
		echo "PlugStackConfig=$dir/plugstack.conf"
		for n in $(seq "$nodes"); do
			echo "NodeName=node$n NodeHostname=localhost NodeAddr=127.0.0.1 Port=$(slurm_free_port) CPUs=$(nproc) State=UNKNOWN"
		done
		echo "PartitionName=debug Nodes=node[1-$nodes] Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE"
	} >"$dir/slurm.conf"
	: >"$dir/plugstack.conf"
	export SLURM_CONF=$dir/slurm.conf
	munged --socket="$dir/munge-socket/munge.sock" --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
		--log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" --force ||
		{ tail -3 "$dir/log/munged.log" >&2; slurm_cluster_stop "$dir"; return 1; }
	slurmctld || { tail -5 "$dir/log/slurmctld.log" >&2; slurm_cluster_stop "$dir"; return 1; }
	for n in $(seq "$nodes"); do
		slurmd -N "node$n" || { tail -5 "$dir/log/slurmd-node$n.log" >&2; slurm_cluster_stop "$dir"; return 1; }
	done
	slurm_wait_idle "$nodes" || {
		echo "the test cluster's $nodes nodes did not come up idle:" >&2
		tail -5 "$dir/log/slurmctld.log" >&2
		slurm_cluster_stop "$dir"
		return 1
	}
}

slurm_cluster_stop() {
	local dir=$1 pidfile pid
	for pidfile in "$dir"/slurmd-*.pid "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
		[ -e "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		kill "$pid" 2>/dev/null || continue
		# Gone within 10 s, or killed.
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null || true
	done
}

# Start node NODE's slurmd again, as PREFIX... slurmd -N NODE (a prefix such
# as "unshare -m sh -c '...; exec \"\$@\"' sh" gives that node a view of its
# own); with no prefix, as it was started. Waits until every node is idle.
slurm_node_restart() {
	local dir=$1 node=$2 nodes pid
	shift 2
	nodes=$(grep -c '^NodeName=' "$dir/slurm.conf")
	pid=$(cat "$dir/slurmd-$node.pid")
	kill "$pid"
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	"$@" slurmd -N "$node" || { tail -5 "$dir/log/slurmd-$node.log" >&2; return 1; }
	slurm_wait_idle "$nodes"
}
