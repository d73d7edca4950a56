"""Median wall time of a command, spawned directly (no shell) N times."""
import os
import statistics
import sys
import time


def median_ms(argv, runs, env=None, setup=None):
    samples = []
    devnull = os.open(os.devnull, os.O_WRONLY)
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter_ns()
        pid = os.posix_spawnp(argv[0], argv, env if env is not None else os.environ,
                              file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                            (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, status = os.waitpid(pid, 0)
        samples.append((time.perf_counter_ns() - start) / 1e6)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{argv} failed with {status}")
    os.close(devnull)
    return statistics.median(samples)


if __name__ == "__main__":
    runs = int(sys.argv[1])
    print(f"{median_ms(sys.argv[2:], runs):.3f}")
