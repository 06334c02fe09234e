//! What user programs and the kernel agree on beyond Linux's own ABI: the
//! record our process-listing call fills in, and our extra call numbers
//! (above Linux's range, so they never clash with a real one).

/// `proc_list(buf, max)`: fills `buf` with up to `max` records, returns how many.
pub const SYS_PROC_LIST: u64 = 1000;
/// `free_frames()`: how many physical frames are free (to check for leaks).
pub const SYS_FREE_FRAMES: u64 = 1001;

/// One task, as `ps` and `pstree` see it. Pid 0 is the idle task.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    /// 'R', 'S' or 'Z', as `ps` prints STAT.
    pub state: u8,
    pub name: [u8; 15],
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
