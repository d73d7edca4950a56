#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The state record stands for a capture only if it saw every file and
# variable the probes looked at: they are seen at libc's boundary
# (src/state/wrap.c, linked with --wrap for each of EL_WATCHED_CALLS). So
# every libc function the library calls must be one of those, or one this
# file says is harmless to a capture's result, and why. A new call fails
# here until it is put in one or the other.
. "$(dirname "$0")/lib.sh"
need nm objdump
: "${EL_LIBRARY:?EL_LIBRARY must point at libenvlock.a}"
: "${EL_WATCHED_CALLS:?EL_WATCHED_CALLS must list the wrapped functions}"
libc=$(ldd "$ENVLOCK" | awk '$1 ~ /^libc\.so/ {print $3}')
[ -r "$libc" ] || skip "libc not found through ldd"

# Nothing of the machine's: computation, memory, text, formatting.
pure="__ctype_b_loc __ctype_tolower_loc __errno_location __sched_cpualloc __sched_cpucount __sched_cpufree
alphasort asprintf calloc free malloc realloc madvise memchr memcmp memcpy memmem memmove memset qsort snprintf
vsnprintf dprintf fprintf fputc fputs fwrite strerrordesc_np ferror fflush strcasecmp strchr strcmp strcpy strcspn strdup strerror
strchrnul strftime strlen strncasecmp strncmp strndup strnlen strpbrk strrchr strspn strstr strtok strtok_r strtol
strtoll strtoul strtoull strverscmp fnmatch gmtime_r timegm dlerror dlsym memrchr"
# On a descriptor: its file was watched when it was opened (or the call writes).
descriptors="close closedir dirfd fdopendir fstat fstatfs lseek mmap munmap pread read readdir rewinddir
posix_fadvise fcntl ioctl poll recvmsg sendmsg write pwrite fsync ftruncate dup dup2 dup3 futimens"
# Changes: a capture writes only its cache, which it does not watch (pack
# writes its bundle beside its name, then renames it); a file
# it changed anywhere else has a fresh identity, which is not trusted.
changes="chmod fchmod mkdir mkdirat mkdtemp mkostemp linkat rename renameat symlinkat unlink unlinkat utimensat"
# The process itself and the sandbox's setup, never a probe's answer; the
# record's key holds the working directory and the user; sysconf sizes
# thread pools; gnu_get_libc_version is this process's libc, whose file
# the libraries probe looks at; environ is read by the sandbox's plan and
# by the programs run (refused while watching); newlocale, uselocale and
# freelocale give the bundle writer's thread C.UTF-8 while it writes
# headers, never a probe's locale (src/bundle/pack_write.c).
process="_exit clone execvp kill waitpid getpid getppid pthread_create pthread_join pthread_mutex_lock
pthread_mutex_unlock pthread_once pthread_mutex_init pthread_mutex_destroy pthread_cond_init
pthread_cond_destroy pthread_cond_wait pthread_cond_signal pthread_cond_broadcast pthread_self
sigaction sigaddset sigemptyset signal signalfd sigprocmask setsid prctl
personality setresgid setresuid sched_setaffinity sethostname umask chdir fchdir socket socketpair pipe2
memfd_create dlclose nanosleep fsconfig fsmount fsopen mount mount_setattr move_mount open_tree umount2
clock_gettime time getuid geteuid getegid getcwd getrandom sysconf gnu_get_libc_version environ
posix_spawn_file_actions_adddup2 posix_spawn_file_actions_addopen posix_spawn_file_actions_destroy
posix_spawn_file_actions_init statfs newlocale uselocale freelocale"

known=" $(echo $EL_WATCHED_CALLS $pure $descriptors $changes $process) "
nm -D --defined-only "$libc" | awk '{print $3}' | sed 's/@.*//' | sort -u >"$scratch/libc"
nm -u "$EL_LIBRARY" | awk 'NF == 2 {print $2}' | sort -u >"$scratch/called"
unknown=""
for f in $(comm -12 "$scratch/called" "$scratch/libc"); do
	case "$known" in
	*" $f "*) ;;
	*) unknown="$unknown $f" ;;
	esac
done
check_eq "every libc function the library calls is watched or said harmless (src/state/wrap.c)" "" "${unknown# }"

# And each binary was linked with the wrappers: only the wrappers call the
# watched functions of libc (through the PLT); before, dozens of functions did.
pattern="^<($(echo $EL_WATCHED_CALLS | tr ' ' '|'))@plt>\$"
for binary in "$ENVLOCK" ${EL_SHARED_LIBRARY:+"$EL_SHARED_LIBRARY"}; do
	check_eq "$(basename "$binary"): only the wrappers call the watched functions" "" \
		"$(objdump -d --no-show-raw-insn "$binary" |
			awk -v pattern="$pattern" '/^[0-9a-f]+ <.*>:$/ {fn = $2; next} $NF ~ pattern && fn !~ /^<__wrap_/ {print fn, $NF}' |
			sort -u | head -5)"
	check_eq "$(basename "$binary"): the wrappers are there" 1 \
		"$(objdump -d --no-show-raw-insn "$binary" | grep -c '^[0-9a-f]* <__wrap_stat>:$' || true)"
done

finish
