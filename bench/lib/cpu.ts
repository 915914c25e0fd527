/**
 * CPU accounting for benchmarks, from /proc (Linux): how busy the whole machine was over a
 * window, and how much CPU a set of processes used in it. A scale-out figure means little
 * without them: instances added to a machine whose cores are already busy cannot go faster.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Jiffies per second of /proc's counters (USER_HZ); 100 on every Linux we run on. */
const HZ = 100;

interface MachineSample {
  busy: number;
  total: number;
}

function machineSample(): MachineSample | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, ...fields] = line.trim().split(/\s+/);
    const n = fields.map(Number);
    // user nice system idle iowait irq softirq steal
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

function processJiffies(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) are space-separated; utime and stime are the 14th and 15th.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone or /proc is not there. */
export function processCpuSeconds(pid: number): number {
  return processJiffies(pid) / HZ;
}

export interface CpuWindow {
  /** Ends the window: the machine's busy share of all its cores (0..1), and the cores the processes used on average. */
  end(): { machineBusy: number; processCores: number; cores: number };
}

/** Starts a window over the machine and the processes `pids` (their CPU from now on). */
export function cpuWindow(pids: readonly number[]): CpuWindow {
  const m0 = machineSample();
  const p0 = pids.map(processJiffies);
  const t0 = Date.now();
  return {
    end() {
      const m1 = machineSample();
      const used = pids.map(processJiffies).reduce((sum, j, i) => sum + Math.max(0, j - p0[i]!), 0);
      const seconds = Math.max(0.001, (Date.now() - t0) / 1000);
      const machineBusy = m0 && m1 && m1.total > m0.total ? (m1.busy - m0.busy) / (m1.total - m0.total) : NaN;
      return { machineBusy, processCores: used / HZ / seconds, cores: cpus().length };
    },
  };
}

/** A CPU quota on a set of processes (a Linux cgroup's CPU limit, as a container's or a pod's). */
export interface CpuLimit {
  readonly cores: number;
  add(pid: number): void;
  /** Removes the group; its processes must have ended. */
  release(): void;
}

const CGROUP_V1_CPU = '/sys/fs/cgroup/cpu';
const CGROUP_V2 = '/sys/fs/cgroup';

/**
 * A group limited to `cores` CPU cores (e.g. 0.25), through cgroup v1's cpu controller or
 * cgroup v2's cpu.max; null where neither can be written (not root, no cgroup file system).
 */
export function cpuLimit(name: string, cores: number): CpuLimit | null {
  const period = 100_000;
  const quota = Math.max(1_000, Math.round(cores * period));
  // Each only where its controller's files are there (a plain folder under /sys/fs/cgroup would take any file).
  const attempts: { dir: string; marker: string; limit: () => void }[] = [
    {
      marker: `${CGROUP_V1_CPU}/cpu.cfs_quota_us`,
      dir: `${CGROUP_V1_CPU}/${name}`,
      limit() {
        writeFileSync(`${this.dir}/cpu.cfs_period_us`, String(period));
        writeFileSync(`${this.dir}/cpu.cfs_quota_us`, String(quota));
      },
    },
    { dir: `${CGROUP_V2}/${name}`, marker: `${CGROUP_V2}/cgroup.controllers`, limit() { writeFileSync(`${this.dir}/cpu.max`, `${quota} ${period}`); } },
  ];
  for (const a of attempts) {
    try {
      if (!existsSync(a.marker)) continue;
      mkdirSync(a.dir);
    } catch {
      continue;
    }
    try {
      a.limit();
      return {
        cores,
        add(pid) {
          writeFileSync(`${a.dir}/cgroup.procs`, String(pid));
        },
        release() {
          try {
            rmdirSync(a.dir);
          } catch {
            // still busy: the kernel removes nothing; left for the next run's name to differ
          }
        },
      };
    } catch {
      try {
        rmdirSync(a.dir);
      } catch {
        // nothing to undo
      }
    }
  }
  return null;
}
