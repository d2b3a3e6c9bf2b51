#!/bin/busybox sh
# /init of the emulated KVM lab (runs as PID 1 inside QEMU; built into the lab initramfs by
# lab/run, which also documents the contract). Kernel messages and the lines below go to ttyS0
# (the lab console log); the command's stdout+stderr go to ttyS1 (streamed to lab/run's stdout).
#
# Protocol with lab/run:
#   kernel command line: hatchery.run=<name of the run folder under <project>/.lab/>
#   <project>/.lab/<run>/project_path  absolute host path of the project (one line)
#   <project>/.lab/<run>/nonce         random token for the exit marker (one line)
#   <project>/.lab/<run>/cmd.sh        bash script run in the chroot (sets env, cd, exec)
#   <project>/.lab/<run>/shares        host folders shared writable (9p tags share0, share1, ...), one a
#                                      line, parents first: mounted at their own paths after the tmpfs
#   <project>/.lab/<run>/signal        written by lab/run on SIGTERM/SIGINT/SIGHUP: the command gets SIGTERM;
#                                      "QUIT" (nested guests stalled): the command gets SIGQUIT (a JVM's thread dump)
#   heartbeat: "hatchery-lab-hb: ..." on ttyS0 every 5 s while the command runs (lab/run's stall watch)
#   result: "HATCHERY-LAB-EXIT-<nonce>=<rc>" on ttyS1, and <rc> in <run>/exit_status
#   failure: a line "HATCHERY-LAB-FAIL: <what>" on ttyS0, then power off (no exit marker).
export PATH=/bin
umask 022

log() { echo "hatchery-lab: $*"; }

die() {
	echo "HATCHERY-LAB-FAIL: $*"
	echo "hatchery-lab: last kernel messages:"
	dmesg 2>/dev/null | tail -n 25
	sync
	poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 1000
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null # KVM's exit counters for the heartbeat
mount -t devtmpfs devtmpfs /dev || die "cannot mount devtmpfs on /dev"
exec </dev/console >/dev/console 2>&1
log "init started"

RUN=
NET=
TRACE=0
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	hatchery.run=*) RUN="${arg#hatchery.run=}" ;;
	hatchery.net=*) NET="${arg#hatchery.net=}" ;;
	hatchery.trace=1) TRACE=1 ;;
	esac
done
[ -n "$RUN" ] || die "no hatchery.run=<run> on the kernel command line"

# KVM takes the TSC frequency it sees when it loads as the frequency every guest asks for, and the lab
# kernel refines its TSC calibration about a second after boot. Loaded before that (as it was, ~0.2 s too
# early), KVM kept the early estimate; when the refined frequency came out more than KVM's 250 ppm tolerance
# above it, every vCPU created afterwards failed to get its TSC rate ("user requested TSC rate below hardware
# speed": there is no TSC scaling under the lab's emulated SVM) and KVM's view of that guest's TSC went wrong,
# so the guest's TSC-deadline timers fired up to a minute late: the nested guests' stalls (lab/README "Stalls").
# So KVM loads only once the refinement is over: the clock source has left "tsc-early" (for "tsc", or for
# another one if the TSC was found unstable).
wait_for_tsc_refinement() {
	cs=/sys/devices/system/clocksource/clocksource0/current_clocksource
	waited=0
	while [ "$(cat $cs 2>/dev/null)" = tsc-early ] && [ $waited -lt 300 ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	log "clocksource=$(cat $cs 2>/dev/null) waited_for_tsc_refinement_ds=$waited"
}

# Kernel modules, in dependency order (resolved by lab/run from the modules' own metadata).
while read -r mod; do
	[ -n "$mod" ] || continue
	[ "$mod" = kvm ] && wait_for_tsc_refinement
	out=$(insmod "/modules/$mod.ko" 2>&1) || die "insmod $mod failed: $out"
done </modules.list
log "modules loaded"
if grep -qx kvm_amd /modules.list; then
	[ -c /dev/kvm ] || die "/dev/kvm did not appear after loading kvm_amd"
fi

# The project share (writable) first, at a temporary place: it tells us where it belongs.
mkdir -p /project /host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 project /project ||
	die "cannot mount the 9p share 'project' (writable project folder)"
RUNDIR_TMP="/project/.lab/$RUN"
[ -f "$RUNDIR_TMP/project_path" ] || die "$RUNDIR_TMP/project_path missing in the project share"
IFS= read -r PROJECT <"$RUNDIR_TMP/project_path"
IFS= read -r NONCE <"$RUNDIR_TMP/nonce"
case "$PROJECT" in /?*) ;; *) die "bad project path '$PROJECT'" ;; esac

# The host's root, read-only, becomes the root of the command. cache=loose lets the lab keep
# what it read (JDK, jars) in its page cache: `java -version` takes ~2 s instead of ~4 s. The
# price: a host file changed *during* a lab run may be seen stale (the project share is uncached).
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host ||
	die "cannot mount the 9p share 'hostroot' (host root file system)"
[ -x /host/bin/bash ] || die "/bin/bash not found in the host root share"

H=/host
mount -t proc proc $H/proc || die "cannot mount /proc in the host root"
mount -t sysfs sysfs $H/sys || die "cannot mount /sys in the host root"
mount -t cgroup2 cgroup2 $H/sys/fs/cgroup 2>/dev/null
mount -t devtmpfs devtmpfs $H/dev || die "cannot mount /dev in the host root"
mkdir -p $H/dev/pts $H/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $H/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $H/dev/shm
ln -sf /proc/self/fd $H/dev/fd
ln -sf /proc/self/fd/0 $H/dev/stdin
ln -sf /proc/self/fd/1 $H/dev/stdout
ln -sf /proc/self/fd/2 $H/dev/stderr
mount -t tmpfs -o mode=1777 tmpfs $H/tmp || die "cannot mount tmpfs on /tmp"
mount -t tmpfs -o mode=1777 tmpfs $H/var/tmp || die "cannot mount tmpfs on /var/tmp"
mount -t tmpfs -o mode=755 tmpfs $H/run || die "cannot mount tmpfs on /run"
mkdir -p $H/run/lock $H/run/user
chmod 1777 $H/run/lock

# Extra writable shares (HATCHERY_LAB_SHARES: e.g. a cache or report folder under /tmp), parents first.
i=0
while IFS= read -r dir; do
	[ -n "$dir" ] || continue
	mkdir -p "$H$dir" 2>/dev/null
	[ -d "$H$dir" ] || die "mount point $dir (share$i) does not exist in the host root"
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 "share$i" "$H$dir" ||
		die "cannot mount the 9p share 'share$i' ($dir)"
	i=$((i + 1))
done <"$RUNDIR_TMP/shares"

# The project share moves to its own absolute path (possibly below one of the tmpfs above).
mkdir -p "$H$PROJECT" 2>/dev/null
[ -d "$H$PROJECT" ] || die "mount point $PROJECT does not exist in the host root"
mount --move /project "$H$PROJECT" || die "cannot move the project share to $PROJECT"
RUNDIR="$H$PROJECT/.lab/$RUN"

hostname hatchery-lab
ip link set lo up 2>/dev/null
# With HATCHERY_LAB_FORWARD_PORT, QEMU's user-mode NIC (restrict=on: no way out) carries one
# forwarded port from the host's 127.0.0.1 to this address.
if [ -n "$NET" ]; then
	ip addr add "$NET" dev eth0 && ip link set eth0 up || die "cannot configure eth0 with $NET"
	log "eth0 $NET"
fi

# Command output goes to ttyS1, raw (no \n -> \r\n). Keep it open so the settings stay.
exec 3<>/dev/ttyS1 || die "cannot open /dev/ttyS1 (command output channel)"
stty raw -echo <&3
# From here on, kernel warnings reach the console log (a clocksource marked unstable, an RCU stall, a
# soft lockup): the evidence when the lab stalls. Boot stays quiet.
read -r level _ </proc/sys/kernel/printk
[ "$level" -lt 5 ] && echo 5 >/proc/sys/kernel/printk
log "running command"
# The redirections happen in the child, so that a "Killed" etc. from this shell goes to ttyS0.
sh -c 'exec </dev/null >&3 2>&3 3>&-; exec env -i /bin/chroot /host /bin/bash "$1"' sh "$PROJECT/.lab/$RUN/cmd.sh" &
CMD=$!

# Beside the command: every second, a stop request from lab/run (<run>/signal) becomes SIGTERM to the
# command (cmd.sh execs it, so $CMD is its pid); every 5 s a heartbeat line on the console proves that
# the lab's timers, scheduler and console still work, and says what the nested guests did meanwhile.
# KVM's debugfs counters, summed over the nested VMs that exist now (they vanish with their VM).
kvm_stat() { cat /sys/kernel/debug/kvm/"$1" 2>/dev/null || echo "?"; }

# With hatchery.trace=1 (lab/run HATCHERY_LAB_TRACE=1): KVM's exit, injection, MSR, timer and wake-up events go to
# the lab's ftrace ring (overwriting, 4 MiB), and when nested VMs exist but have made fewer than 5 exits in 20 s the
# heartbeat prints, once, each VM's counters and the ring's last 300 events: what a stalled guest did last.
trace_start() {
	T=/sys/kernel/tracing
	mount -t tracefs tracefs $T 2>/dev/null
	[ -d $T/events/kvm ] || { log "trace: no kvm trace events in this lab kernel"; TRACE=0; return; }
	echo 4096 >$T/buffer_size_kb
	for e in kvm_exit kvm_entry kvm_inj_virq kvm_msr kvm_apic_accept_irq kvm_eoi kvm_pic_set_irq kvm_wait_lapic_expire kvm_vcpu_wakeup \
		kvm_apic kvm_set_irq kvm_msi_set_irq kvm_nested_vmexit kvm_hv_timer_state kvm_pvclock_update kvm_write_tsc_offset kvm_track_tsc; do
		[ -f $T/events/kvm/$e/enable ] && echo 1 >$T/events/kvm/$e/enable
	done
	echo 1 >$T/tracing_on
	log "trace: kvm events on (ring $T, 4 MiB)"
}
trace_dump() {
	echo "hatchery-lab-trace: nested guests made $1 exits in 20 s; per VM (debugfs):"
	for d in /sys/kernel/debug/kvm/*-*; do
		[ -d "$d" ] || continue
		line="hatchery-lab-trace: vm ${d##*/}:"
		for f in exits halt_exits halt_wakeup halt_successful_poll halt_attempted_poll irq_injections irq_window_exits \
			request_irq_exits signal_exits io_exits mmio_exits; do line="$line $f=$(cat "$d/$f" 2>/dev/null)"; done
		echo "$line"
		for v in "$d"/vcpu*; do
			[ -d "$v" ] && echo "hatchery-lab-trace:   ${v##*/}: guest_mode=$(cat "$v/guest_mode" 2>/dev/null) tsc_offset=$(cat "$v/tsc-offset" 2>/dev/null) lapic_timer_advance_ns=$(cat "$v/lapic_timer_advance_ns" 2>/dev/null)"
		done
	done
	echo 0 >/sys/kernel/tracing/tracing_on
	tail -n 300 /sys/kernel/tracing/trace | sed 's/^/hatchery-lab-trace: /'
	echo 1 >/sys/kernel/tracing/tracing_on
}
[ "$TRACE" = 1 ] && trace_start

# Beside the command: every second, a stop request from lab/run (<run>/signal) becomes SIGTERM to the
# command (cmd.sh execs it, so $CMD is its pid); every 5 s a heartbeat line on the console proves that
# the lab's timers, scheduler and console still work, and says what the nested guests did meanwhile:
# exits, and of them halts, with the halts' wake-ups (woken while KVM polled, or later) and injected interrupts.
heartbeat() {
	n=0
	quiet_since=0 quiet_exits="" dumped=0
	while kill -0 "$CMD" 2>/dev/null; do
		if [ -f "$RUNDIR/signal" ]; then
			read -r sig <"$RUNDIR/signal"
			rm -f "$RUNDIR/signal"
			if [ "$sig" = QUIT ]; then
				# lab/run found the nested guests stalled: a JVM prints its threads on SIGQUIT (and goes on).
				log "stall: SIGQUIT to the command"
				kill -QUIT "$CMD" 2>/dev/null
				# And where in the lab's kernel its threads are that are not parked in a futex: a stuck ioctl or close.
				for t in /proc/"$CMD"/task/*; do
					read -r wchan <"$t/wchan" 2>/dev/null
					case "$wchan" in futex_* | do_epoll_wait | ep_poll | hrtimer_nanosleep | do_sys_poll | pipe_read) continue ;; esac
					log "task $(cat "$t/comm" 2>/dev/null) tid=${t##*/} state=$(sed 's/.*) //; s/ .*//' "$t/stat" 2>/dev/null) wchan=$wchan"
					sed 's/^/hatchery-lab:   /' "$t/stack" 2>/dev/null
				done
			else
				log "stop requested: SIGTERM to the command"
				kill -TERM "$CMD" 2>/dev/null
			fi
		fi
		if [ $((n % 5)) -eq 0 ]; then
			read -r up idle </proc/uptime
			set -- $(head -n 1 /proc/stat)
			exits=$(kvm_stat exits)
			vms=$(ls -d /sys/kernel/debug/kvm/*-* 2>/dev/null | wc -l)
			read -r cs </sys/devices/system/clocksource/clocksource0/current_clocksource
			echo "hatchery-lab-hb: up=$up idle=$idle user=$2 sys=$4 kvm_exits=$exits kvm_halt_exits=$(kvm_stat halt_exits) vms=$vms clocksource=$cs" \
				"halt_wakeups=$(kvm_stat halt_wakeup) halt_polled=$(kvm_stat halt_successful_poll) irq_injections=$(kvm_stat irq_injections)" \
				"irq_window_exits=$(kvm_stat irq_window_exits) io_exits=$(kvm_stat io_exits) mmio_exits=$(kvm_stat mmio_exits) signal_exits=$(kvm_stat signal_exits)"
			if [ "$TRACE" = 1 ] && [ "$dumped" = 0 ]; then
				if [ "$vms" -gt 0 ] && [ -n "$quiet_exits" ] && [ "$exits" != "?" ] && [ $((exits - quiet_exits)) -lt 5 ] && [ $((exits - quiet_exits)) -ge 0 ]; then
					[ $((n - quiet_since)) -ge 20 ] && { trace_dump $((exits - quiet_exits)); dumped=1; }
				else
					quiet_exits=$exits quiet_since=$n
					[ "$vms" -gt 0 ] || quiet_exits=""
				fi
			fi
		fi
		n=$((n + 1))
		sleep 1
	done
}
heartbeat &
HB=$!
wait "$CMD"
rc=$?
kill "$HB" 2>/dev/null
log "command exited with status $rc"
echo "$rc" >"$RUNDIR/exit_status"
printf 'HATCHERY-LAB-EXIT-%s=%s\n' "$NONCE" "$rc" >&3
# tcsetattr(TCSADRAIN) waits until the serial line has sent everything.
stty raw -echo <&3
sync
poweroff -f
echo o >/proc/sysrq-trigger
sleep 1000
