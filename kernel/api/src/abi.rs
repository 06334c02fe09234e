//! What user programs and the kernel agree on: Linux's clone flags, and
//! beyond Linux's own ABI, the record our process-listing call fills in and
//! our extra call numbers (above Linux's range, so they never clash).

// ANCHOR: clone_flags
/// clone's flags, with Linux's values; the low byte is the exit signal.
pub const CSIGNAL: u64 = 0xff;
pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_PARENT: u64 = 0x8000;
pub const CLONE_THREAD: u64 = 0x1_0000;
pub const CLONE_SYSVSEM: u64 = 0x4_0000;
pub const CLONE_SETTLS: u64 = 0x8_0000;
pub const CLONE_PARENT_SETTID: u64 = 0x10_0000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
/// Ignored since Linux 2.6.2, but musl still passes it.
pub const CLONE_DETACHED: u64 = 0x40_0000;
pub const CLONE_CHILD_SETTID: u64 = 0x100_0000;
// ANCHOR_END: clone_flags

/// `proc_list(buf, max)`: fills `buf` with up to `max` records, returns how many.
pub const SYS_PROC_LIST: u64 = 1000;
/// `free_frames()`: how many physical frames are free (to check for leaks).
pub const SYS_FREE_FRAMES: u64 = 1001;

/// One task, as `ps` and `pstree` see it. Pid 0 is the idle task.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct ProcInfo {
    /// The task's own id: for a thread, its tid (`ps -L` calls it LWP).
    pub pid: i32,
    pub ppid: i32,
    /// Its thread group: the process's pid.
    pub tgid: i32,
    /// 'R', 'S' or 'Z', as `ps` prints STAT.
    pub state: u8,
    /// 1 for a kernel thread, which has no user memory: `ps` shows it in brackets.
    pub kernel: u8,
    pub name: [u8; 18],
    /// Timer ticks on the CPU (TIME).
    pub ticks: u64,
    /// The tick at which it was created (START).
    pub start: u64,
}

impl ProcInfo {
    pub fn name(&self) -> &str {
        let len = self.name.iter().position(|&b| b == 0).unwrap_or(self.name.len());
        core::str::from_utf8(&self.name[..len]).unwrap_or("?")
    }
}
