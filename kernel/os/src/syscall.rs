//! System calls, with Linux's x86_64 numbers and calling convention:
//! rax = number; arguments in rdi, rsi, rdx, r10, r8, r9; the result, or a
//! negative errno, back in rax.

use crate::pieces::clone::{self, Args};
use crate::pieces::{cow, exec, fork, wait};
use crate::state::{Copying, Cpu, Kernel};
use crate::{console, fs, initrd, mm, task, x86};
use alloc::vec::Vec;
use api::abi::{
    CLONE_CHILD_SETTID, CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_VFORK, CLONE_VM, ProcInfo,
    SYS_FREE_FRAMES, SYS_PROC_LIST,
};
use api::status;
use api::{Errno, Memory, PAGE_SIZE, Pid, Proc, RunQueue, State, TrapFrame, USER_END};

const READ: u64 = 0;
const WRITE: u64 = 1;
const OPEN: u64 = 2;
const CLOSE: u64 = 3;
const MMAP: u64 = 9;
const MPROTECT: u64 = 10;
const MUNMAP: u64 = 11;
const BRK: u64 = 12;
const RT_SIGACTION: u64 = 13;
const RT_SIGPROCMASK: u64 = 14;
const IOCTL: u64 = 16;
const READV: u64 = 19;
const WRITEV: u64 = 20;
const SCHED_YIELD: u64 = 24;
const NANOSLEEP: u64 = 35;
const GETPID: u64 = 39;
const CLONE: u64 = 56;
const FORK: u64 = 57;
const VFORK: u64 = 58;
const EXECVE: u64 = 59;
const EXIT: u64 = 60;
const WAIT4: u64 = 61;
const UNAME: u64 = 63;
const GETUID: u64 = 102;
const GETGID: u64 = 104;
const GETEUID: u64 = 107;
const GETEGID: u64 = 108;
const GETPPID: u64 = 110;
const ARCH_PRCTL: u64 = 158;
const REBOOT: u64 = 169;
const GETTID: u64 = 186;
const FUTEX: u64 = 202;
const GETDENTS64: u64 = 217;
const SET_TID_ADDRESS: u64 = 218;
const CLOCK_GETTIME: u64 = 228;
const EXIT_GROUP: u64 = 231;
const OPENAT: u64 = 257;
const GETRANDOM: u64 = 318;

pub type SysResult = Result<u64, Errno>;

// ANCHOR: dispatch
/// Runs the system call whose number and arguments `tf` holds (the registers
/// at entry), and leaves its result in the task's saved `rax`. The calls that
/// may sleep or end the task get the `Cpu`; the others, the kernel.
pub fn dispatch(cpu: &mut Cpu, tf: &TrapFrame) {
    let (a0, a1, a2, a3, a4, a5) = (tf.rdi, tf.rsi, tf.rdx, tf.r10, tf.r8, tf.r9);
    let r = match tf.rax {
        READ => sys_read(cpu, a0, a1, a2),
        WRITE => sys_write(cpu.kernel(), a0, a1, a2),
        OPEN => fs::sys_openat(cpu.kernel(), fs::AT_FDCWD, a0, a1),
        CLOSE => fs::sys_close(cpu.kernel(), a0),
        READV => sys_readv_writev(cpu, a0, a1, a2, false),
        WRITEV => sys_readv_writev(cpu, a0, a1, a2, true),
        IOCTL => sys_ioctl(cpu.kernel(), a0, a1, a2),
        MMAP => mm::sys_mmap(cpu.kernel(), a0, a1, a2, a3, a5),
        MPROTECT => mm::sys_mprotect(cpu.kernel(), a0, a1, a2),
        MUNMAP => mm::sys_munmap(cpu.kernel(), a0, a1),
        BRK => mm::sys_brk(cpu.kernel(), a0),
        RT_SIGACTION => sys_rt_sigaction(cpu.kernel(), a0, a1, a2, a3),
        RT_SIGPROCMASK => sys_rt_sigprocmask(cpu.kernel(), a0, a1, a2, a3),
        SCHED_YIELD => sys_yield(cpu),
        NANOSLEEP => sys_nanosleep(cpu, a0),
        GETPID => Ok(cpu.kernel().task().tgid as u64),
        GETTID => Ok(cpu.kernel().current as u64),
        GETPPID => Ok(cpu.kernel().task().ppid as u64),
        // Everyone is root: there are no users.
        GETUID | GETGID | GETEUID | GETEGID => Ok(0),
        UNAME => sys_uname(cpu.kernel(), a0),
        CLOCK_GETTIME => sys_clock_gettime(cpu.kernel(), a0, a1),
        GETRANDOM => sys_getrandom(cpu.kernel(), a0, a1, a2),
        CLONE => {
            sys_clone(cpu, Args { flags: a0, stack: a1, parent_tid: a2, child_tid: a3, tls: a4 })
        }
        FORK => sys_fork(cpu.kernel()),
        VFORK => {
            sys_clone(cpu, Args { flags: CLONE_VM | CLONE_VFORK | SIGCHLD, ..Args::default() })
        }
        EXECVE => sys_execve(cpu.kernel(), a0, a1, a2),
        EXIT => task::exit(cpu, status::exited(a0 as i32), false),
        EXIT_GROUP => task::exit(cpu, status::exited(a0 as i32), true),
        ARCH_PRCTL => sys_arch_prctl(cpu.kernel(), a0, a1),
        // Where to write 0 and wake a waiter at exit; returns the tid.
        SET_TID_ADDRESS => {
            let k = cpu.kernel();
            k.task().clear_child_tid = Some(a0);
            Ok(k.current as u64)
        }
        FUTEX => sys_futex(cpu, a0, a1, a2 as u32, a3),
        WAIT4 => sys_wait4(cpu, a0 as i32, a1, a2 as i32),
        REBOOT => sys_reboot(cpu.kernel(), a0, a1, a2, a3),
        GETDENTS64 => fs::sys_getdents64(cpu.kernel(), a0, a1, a2),
        OPENAT => fs::sys_openat(cpu.kernel(), a0, a1, a2),
        SYS_PROC_LIST => sys_proc_list(cpu.kernel(), a0, a1),
        SYS_FREE_FRAMES => Ok(cpu.kernel().mem.free_frames() as u64),
        _ => Err(Errno::ENOSYS),
    };
    // A fresh borrow: the call may have slept. After a successful execve the
    // frame is the new program's, whose rax starts at 0.
    let k = cpu.kernel();
    if let Err(e) = r {
        crate::event!("error", pid = k.current, nr = tf.rax, errno = e as i32);
    }
    k.task().kstack.tf.rax = errno_ret(r);
}
// ANCHOR_END: dispatch

/// The result as the program sees it in `rax`: the value, or `-errno`.
fn errno_ret(r: SysResult) -> u64 {
    r.unwrap_or_else(|e| e.to_ret() as u64)
}

/// Before the kernel writes into task `pid`'s memory at `va`: with
/// copy-on-write, a shared page must be copied first, just as if the
/// program had written it.
fn prepare_user_write(k: &mut Kernel, pid: Pid, va: u64, len: usize) -> Result<(), Errno> {
    match k.copying {
        Copying::OnWrite => {
            let (mem, space) = k.memory_of(pid);
            cow::prepare_user_write(mem, space, va, len)
        }
        Copying::Eager => Ok(()),
    }
}

/// copy_to_user, into task `pid`'s memory.
fn copy_to(k: &mut Kernel, pid: Pid, va: u64, data: &[u8]) -> Result<(), Errno> {
    prepare_user_write(k, pid, va, data.len())?;
    let (mem, space) = k.memory_of(pid);
    space.write_user(mem, va, data)
}

/// copy_from_user: `N` bytes of the current task's memory.
fn copy_in<const N: usize>(k: &mut Kernel, va: u64) -> Result<[u8; N], Errno> {
    let (mut buf, (mem, space)) = ([0; N], k.user_memory());
    space.read_user(mem, va, &mut buf).map(|()| buf)
}

/// copy_to_user: the kernel writes into the current task's memory.
pub fn copy_out(k: &mut Kernel, va: u64, data: &[u8]) -> Result<(), Errno> {
    copy_to(k, k.current, va, data)
}

/// The clone piece clears the running task's tid word as it lets go of its
/// memory: make it writable first (a bad word is the program's own to lose).
pub fn prepare_tid_word(k: &mut Kernel) {
    if let Some(word) = k.task().clear_child_tid {
        let _ = prepare_user_write(k, k.current, word, 4);
    }
}

fn sys_write(k: &mut Kernel, fd: u64, buf: u64, len: u64) -> SysResult {
    if fd != 1 && fd != 2 {
        return Err(Errno::EBADF);
    }
    let mut chunk = [0u8; 256];
    let mut done = 0;
    let (mem, space) = k.user_memory();
    while done < len {
        let n = (len - done).min(chunk.len() as u64) as usize;
        space.read_user(mem, buf.wrapping_add(done), &mut chunk[..n])?;
        console::write_bytes(console::COM1, &chunk[..n]);
        done += n as u64;
    }
    Ok(len)
}

/// Reads one byte at a time from the console (fd 0), sleeping until one arrives.
fn sys_read(cpu: &mut Cpu, fd: u64, buf: u64, len: u64) -> SysResult {
    if fd != 0 {
        return fs::read(cpu.kernel(), fd, buf, len);
    }
    if len == 0 {
        return Ok(0);
    }
    loop {
        if let Some(b) = console::read_byte() {
            let b = if b == b'\r' { b'\n' } else { b };
            copy_out(cpu.kernel(), buf, &[b])?;
            return Ok(1);
        }
        let k = cpu.kernel();
        k.console.push(k.current);
        task::sleep(cpu);
    }
}

// ANCHOR: sys_yield
fn sys_yield(cpu: &mut Cpu) -> SysResult {
    let k = cpu.kernel();
    k.rq.make_runnable(&mut k.procs, k.current);
    task::schedule(cpu);
    Ok(0)
}
// ANCHOR_END: sys_yield

fn sys_nanosleep(cpu: &mut Cpu, req: u64) -> SysResult {
    let k = cpu.kernel();
    let wake_at = k.ticks.saturating_add(ticks_of(k, req)?);
    k.timers.push((wake_at, k.current));
    task::sleep(cpu);
    Ok(0)
}

/// How many ticks the `struct timespec` at `va` asks for (at least one):
/// `EFAULT` if it cannot be read, `EINVAL` if it is not a valid time.
fn ticks_of(k: &mut Kernel, va: u64) -> Result<u64, Errno> {
    let ts: [u8; 16] = copy_in(k, va)?;
    let secs = i64::from_le_bytes(ts[..8].try_into().unwrap());
    let nanos = u64::from_le_bytes(ts[8..].try_into().unwrap());
    if secs < 0 || nanos >= 1_000_000_000 {
        return Err(Errno::EINVAL);
    }
    let tick_ns = 1_000_000_000 / x86::HZ as u64;
    Ok((secs as u64).saturating_mul(x86::HZ as u64).saturating_add(nanos.div_ceil(tick_ns)).max(1))
}

/// The exit signal fork and vfork ask for.
const SIGCHLD: u64 = 17;
/// The highest address a program may give as its FS base, or as a thread's
/// stack: the top of user space less a guard page (Linux: TASK_SIZE_MAX).
const TASK_SIZE_MAX: u64 = USER_END - PAGE_SIZE as u64;

// ANCHOR: sys_clone
/// clone(flags, stack, parent_tid, child_tid, tls), and vfork. The clone
/// piece decides; the kernel prepares the child's first switch, writes the
/// tids asked for, and lets a vfork parent sleep.
fn sys_clone(cpu: &mut Cpu, args: Args) -> SysResult {
    // Linux's copy_thread() refuses a TLS outside user space.
    if args.flags & CLONE_SETTLS != 0 && args.tls >= TASK_SIZE_MAX {
        return Err(Errno::EPERM);
    }
    let k = cpu.kernel();
    let (parent, copy, inherit) = (k.current, k.copying.copy_space(), inherited(k));
    let mut prepare = |child: &mut Proc| {
        inherit(child);
        task::prepare_first_switch(child);
    };
    let free = k.mem.free_frames();
    let child = clone::clone(&mut k.procs, k.mem, &mut k.rq, parent, &args, copy, &mut prepare)?;
    let (flags, frames) = (args.flags, free.saturating_sub(k.mem.free_frames()));
    crate::event!("fork", parent = parent, child = child, flags = flags, frames = frames);
    // The tid where the caller asked for it, errors ignored: Linux writes
    // them in kernel_clone() and, in the child, schedule_tail().
    let tid = (child as u32).to_le_bytes();
    if args.flags & CLONE_PARENT_SETTID != 0 {
        let _ = copy_to(k, parent, args.parent_tid, &tid);
    }
    if args.flags & CLONE_CHILD_SETTID != 0 {
        let _ = copy_to(k, child, args.child_tid, &tid);
    }
    if k.task().state == State::Sleeping {
        // A vfork: the caller sleeps until its child execs or exits.
        task::schedule(cpu);
    }
    Ok(child as u64)
}
// ANCHOR_END: sys_clone

/// What a new task takes besides what the pieces copy: its start tick, heap,
/// signal mask and actions, and open files.
fn inherited(k: &mut Kernel) -> impl Fn(&mut Proc) + use<> {
    let leader = k.task().tgid;
    let heap = k.procs.get(leader).expect("a leader outlives its threads").heap.clone();
    let (now, mask, actions) = (k.ticks, k.task().sigmask, k.task().sigactions);
    // copy_files(): the open files, open in the child too. Sharing the table
    // (CLONE_FILES) is not modelled, so a thread's later opens are its own.
    let files = k.task().files.clone();
    move |c: &mut Proc| {
        (c.start, c.heap, c.sigmask, c.sigactions) = (now, heap.clone(), mask, actions);
        c.files = files.clone();
    }
}

// ANCHOR: sys_fork
fn sys_fork(k: &mut Kernel) -> SysResult {
    let (tgid, fs_base, inherit) = (k.task().tgid, k.task().fs_base, inherited(k));
    // Linux's copy_thread(): what the child needs before it may be queued.
    let mut prepare = |child: &mut Proc| {
        // Forked by a thread, it is still its process's child.
        child.ppid = tgid;
        // Its thread-local storage is where the parent's is, in its copy of memory.
        child.fs_base = fs_base;
        inherit(child);
        task::prepare_first_switch(child);
    };
    let copy = k.copying.copy_space();
    let free = k.mem.free_frames();
    let child = fork::fork(&mut k.procs, k.mem, &mut k.rq, k.current, copy, &mut prepare)?;
    let frames = || free.saturating_sub(k.mem.free_frames());
    crate::event!("fork", parent = k.current, child = child, flags = SIGCHLD, frames = frames());
    Ok(child as u64)
}
// ANCHOR_END: sys_fork

/// Reads a NULL-terminated array of string pointers (argv or envp).
fn read_strings(k: &mut Kernel, mut va: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let (mem, space) = k.user_memory();
    let mut out = Vec::new();
    let mut total = 0;
    while va != 0 {
        let mut p = [0u8; 8];
        space.read_user(mem, va, &mut p)?;
        let p = u64::from_le_bytes(p);
        if p == 0 {
            break;
        }
        let s = space.read_user_cstr(mem, p, exec::ARG_MAX)?;
        total += s.len() + 1 + 8;
        if total > exec::ARG_MAX {
            return Err(Errno::E2BIG);
        }
        out.push(s);
        va += 8;
    }
    Ok(out)
}

// ANCHOR: sys_execve
fn sys_execve(k: &mut Kernel, path: u64, argv: u64, envp: u64) -> SysResult {
    let (mem, space) = k.user_memory();
    let path = space.read_user_cstr(mem, path, 255)?;
    crate::event!("exec", pid = k.current, path = path);
    let argv = read_strings(k, argv)?;
    let envp = read_strings(k, envp)?;
    let elf = initrd::lookup(k.initrd, &path)?;
    let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    let env: Vec<&[u8]> = envp.iter().map(Vec::as_slice).collect();
    // Until load succeeds the old program is untouched: any error returns to it.
    let image = exec::load(k.mem, elf, &args, &env, task::random_bytes())?;
    // The other threads end, and this one becomes the process's only task,
    // under its pid (de_thread()); a vfork parent wakes.
    prepare_tid_word(k);
    let tid = k.current;
    k.current = clone::exec(&mut k.procs, k.mem, &mut k.rq, &mut k.futexes, tid);
    task::free_dead_threads(k);
    // SAFETY: the new tables map the kernel like every AddressSpace, and the
    // task keeps them until it execs or exits (exit leaves them first).
    unsafe { x86::write_cr3(image.space.root().0) };
    let heap = mm::heap_start(k.mem, &image.space);
    let p = k.procs.get_mut(k.current).expect("no current task");
    p.heap = heap..heap;
    // Handlers were the old program's code: back to SIG_DFL; SIG_IGN (1) stays.
    p.sigactions.iter_mut().filter(|a| a[..8] != 1u64.to_le_bytes()).for_each(|a| *a = [0; 32]);
    // A vfork child gives its parent's memory back: only a last user frees it.
    if let Some(old) = p.space.replace(image.space) {
        old.release(k.mem);
    }
    let name = path.rsplit(|&c| c == b'/').next().unwrap_or(&path);
    p.name = core::str::from_utf8(name).unwrap_or("?").into();
    p.kstack.tf = TrapFrame::for_user(image.entry, image.stack_pointer);
    // A new program starts with no thread-local storage, as on Linux.
    p.fs_base = 0;
    x86::write_fs_base(0);
    // Files opened with O_CLOEXEC close; the others stay open (Linux: do_close_on_exec()).
    p.files.iter_mut().filter(|f| f.is_some_and(|f| f.cloexec)).for_each(|f| *f = None);
    Ok(0)
}
// ANCHOR_END: sys_execve

// ANCHOR: sys_wait4
fn sys_wait4(cpu: &mut Cpu, pid: i32, status_va: u64, options: i32) -> SysResult {
    if status_va != 0 {
        // Fail before reaping, so a bad pointer loses no child's status.
        let k = cpu.kernel();
        prepare_user_write(k, k.current, status_va, 4)?;
        let (mem, space) = k.user_memory();
        let mut old = [0u8; 4];
        space.read_user(mem, status_va, &mut old)?;
        space.write_user(mem, status_va, &old)?;
    }
    loop {
        // The children are the process's: any of its threads may reap them.
        let k = cpu.kernel();
        let me = k.task().tgid;
        match wait::wait4(&mut k.procs, me, pid, options)? {
            wait::Wait::Reaped(child, st) => {
                crate::event!("reap", pid = child, by = k.current, status = st);
                if status_va != 0 {
                    copy_out(k, status_va, &st.to_le_bytes())?;
                }
                return Ok(child as u64);
            }
            wait::Wait::NotYet => return Ok(0),
            wait::Wait::Block => {
                // On the leader's queue, where a child's exit wakes them all.
                let cur = k.current;
                k.procs.get_mut(me).expect("a leader outlives its threads").child_exit.push(cur);
                task::sleep(cpu);
            }
        }
    }
}
// ANCHOR_END: sys_wait4

/// reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, code):
/// only init may, and `code` (our addition) becomes QEMU's exit status.
fn sys_reboot(k: &mut Kernel, magic1: u64, magic2: u64, cmd: u64, code: u64) -> SysResult {
    if magic1 as u32 != 0xfee1_dead || magic2 as u32 != 672_274_793 || cmd as u32 != 0x4321_fedc {
        return Err(Errno::EINVAL);
    }
    if k.task().tgid != wait::INIT {
        return Err(Errno::EPERM);
    }
    console::power_off(code as u8)
}

fn sys_proc_list(k: &mut Kernel, buf: u64, max: u64) -> SysResult {
    let mut n = 0;
    let idle = ProcInfo {
        state: b'R',
        kernel: 1,
        name: *b"idle\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
        ticks: k.idle_ticks,
        ..ProcInfo::default()
    };
    let rows = core::iter::once(idle).chain(k.procs.iter().map(|p| {
        let mut name = [0u8; 18];
        let len = p.name.len().min(17);
        name[..len].copy_from_slice(&p.name.as_bytes()[..len]);
        ProcInfo {
            pid: p.pid,
            ppid: p.ppid,
            tgid: p.tgid,
            state: p.state.letter() as u8,
            // A kernel thread never had user registers to return to.
            kernel: !p.kstack.tf.from_user() as u8,
            name,
            ticks: p.ticks,
            start: p.start,
        }
    }));
    let rows: Vec<ProcInfo> = rows.take(max as usize).collect();
    for row in &rows {
        // SAFETY: the bytes of a live ProcInfo, which has no padding: its
        // fields (4 + 4 + 4 + 1 + 1 + 18 + 8 + 8 bytes) follow each other exactly.
        let bytes = unsafe {
            core::slice::from_raw_parts(
                row as *const ProcInfo as *const u8,
                core::mem::size_of::<ProcInfo>(),
            )
        };
        copy_out(k, buf + n * bytes.len() as u64, bytes)?;
        n += 1;
    }
    Ok(n)
}

// ANCHOR: sys_arch_prctl
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;

/// arch_prctl(ARCH_SET_FS, base) and arch_prctl(ARCH_GET_FS, &base): the
/// running thread's FS base, where its thread-local storage is.
fn sys_arch_prctl(k: &mut Kernel, code: u64, addr: u64) -> SysResult {
    match code {
        ARCH_SET_FS if addr >= TASK_SIZE_MAX => Err(Errno::EPERM),
        ARCH_SET_FS => {
            k.task().fs_base = addr;
            x86::write_fs_base(addr);
            Ok(0)
        }
        ARCH_GET_FS => {
            let base = k.task().fs_base;
            copy_out(k, addr, &base.to_le_bytes()).map(|()| 0)
        }
        _ => Err(Errno::EINVAL),
    }
}
// ANCHOR_END: sys_arch_prctl

// ANCHOR: sys_futex
const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
/// Only this process uses the word. We have no memory shared between
/// processes, so a word is named the same way with or without it.
const FUTEX_PRIVATE: u64 = 128;

/// futex(word, op, val, timeout): FUTEX_WAIT sleeps while the word holds
/// `val` (at most `timeout`); FUTEX_WAKE wakes up to `val` sleepers.
fn sys_futex(cpu: &mut Cpu, word: u64, op: u64, val: u32, timeout: u64) -> SysResult {
    let k = cpu.kernel();
    if !word.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let (mem, space) = k.user_memory();
    let root = space.root();
    match op & !FUTEX_PRIVATE {
        FUTEX_WAKE if op & FUTEX_PRIVATE == 0 && space.translate(mem, word).is_none() => {
            Err(Errno::EFAULT)
        }
        // Linux wakes one even when asked for none.
        FUTEX_WAKE => {
            let n = (val as i32).max(1) as usize;
            Ok(k.futexes.wake(&mut k.procs, &mut k.rq, root, word, n) as u64)
        }
        FUTEX_WAIT => {
            let deadline = match timeout {
                0 => None,
                ts => Some(k.ticks.saturating_add(ticks_of(k, ts)?)),
            };
            let mut now = [0u8; 4];
            let (mem, space) = k.user_memory();
            space.read_user(mem, word, &mut now)?;
            if u32::from_le_bytes(now) != val {
                return Err(Errno::EAGAIN);
            }
            let me = k.current;
            k.futexes.queue(root, word).push(me);
            k.timers.extend(deadline.map(|t| (t, me)));
            task::sleep(cpu);
            // FUTEX_WAKE took us off the queue; the timer did not.
            let k = cpu.kernel();
            k.timers.retain(|t| t.1 != me);
            match k.futexes.forget(me) {
                true => Err(Errno::ETIMEDOUT),
                false => Ok(0),
            }
        }
        _ => Err(Errno::ENOSYS),
    }
}
// ANCHOR_END: sys_futex

/// readv and writev: each `struct iovec` in turn, until a short transfer or an error.
fn sys_readv_writev(cpu: &mut Cpu, fd: u64, iov: u64, count: u64, write: bool) -> SysResult {
    const IOV_MAX: u64 = 1024;
    if count > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let mut raw = alloc::vec![0u8; 16 * count as usize];
    let (mem, space) = cpu.kernel().user_memory();
    space.read_user(mem, iov, &mut raw)?;
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    let iovs: Vec<(u64, u64)> = raw.chunks(16).map(|v| (word(&v[..8]), word(&v[8..]))).collect();
    if iovs.iter().any(|v| v.1 > i64::MAX as u64) {
        return Err(Errno::EINVAL);
    }
    let mut done = 0;
    for (buf, len) in iovs {
        let k = cpu.kernel();
        match if write { sys_write(k, fd, buf, len) } else { sys_read(cpu, fd, buf, len) } {
            Ok(n) if n == len => done += n,
            Ok(n) => return Ok(done + n),
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done)
}

/// ioctl: the console answers TIOCGWINSZ as a Linux serial line (0 rows, 0
/// columns), so C's stdio takes it for a terminal; all else is ENOTTY.
fn sys_ioctl(k: &mut Kernel, fd: u64, request: u64, arg: u64) -> SysResult {
    const TIOCGWINSZ: u64 = 0x5413;
    match fd {
        0..=2 if request == TIOCGWINSZ => copy_out(k, arg, &[0; 8]).map(|()| 0),
        0..=2 => Err(Errno::ENOTTY),
        _ => fs::file(k, fd).and(Err(Errno::ENOTTY)),
    }
}

/// SIGKILL (9) and SIGSTOP (19): no action may be set for them, no mask block them.
const UNBLOCKABLE: u64 = 1 << (9 - 1) | 1 << (19 - 1);

/// rt_sigaction(sig, act, oldact, sigsetsize): records the task's 32-byte
/// `struct sigaction` for `sig`. No signal is delivered yet: none runs.
fn sys_rt_sigaction(k: &mut Kernel, sig: u64, act: u64, old: u64, size: u64) -> SysResult {
    if size != 8 || !(1..=64).contains(&sig) || act != 0 && UNBLOCKABLE & 1 << (sig - 1) != 0 {
        return Err(Errno::EINVAL);
    }
    let was = k.task().sigactions[sig as usize - 1];
    let new = if act != 0 { copy_in(k, act)? } else { was };
    if old != 0 {
        copy_out(k, old, &was)?;
    }
    k.task().sigactions[sig as usize - 1] = new;
    Ok(0)
}

/// rt_sigprocmask(how, set, oldset, sigsetsize): SIG_BLOCK, SIG_UNBLOCK or
/// SIG_SETMASK; SIGKILL and SIGSTOP cannot be blocked.
fn sys_rt_sigprocmask(k: &mut Kernel, how: u64, set: u64, old: u64, size: u64) -> SysResult {
    let mask = k.task().sigmask;
    let set = (set != 0 && size == 8).then(|| copy_in(k, set)).transpose()?;
    let new = match (how, set.map(u64::from_le_bytes)) {
        _ if size != 8 => return Err(Errno::EINVAL),
        (_, None) => mask,
        (0, Some(s)) => mask | s,
        (1, Some(s)) => mask & !s,
        (2, Some(s)) => s,
        _ => return Err(Errno::EINVAL),
    };
    if old != 0 {
        copy_out(k, old, &mask.to_le_bytes())?;
    }
    k.task().sigmask = new & !UNBLOCKABLE;
    Ok(0)
}

/// uname: the system call interface is Linux's, so the name is too.
fn sys_uname(k: &mut Kernel, buf: u64) -> SysResult {
    let mut u = [0u8; 6 * 65];
    let fields = ["Linux", "(none)", "6.1.0-mini", "#1 mini-kernel", "x86_64", "(none)"];
    for (field, out) in fields.iter().zip(u.chunks_mut(65)) {
        out[..field.len()].copy_from_slice(field.as_bytes());
    }
    copy_out(k, buf, &u).map(|()| 0)
}

/// clock_gettime in timer ticks (the CPU-time clocks: the task's). With no
/// battery clock, CLOCK_REALTIME starts at the epoch (1970) at boot.
fn sys_clock_gettime(k: &mut Kernel, clock: u64, tp: u64) -> SysResult {
    if clock > 7 {
        return Err(Errno::EINVAL);
    }
    let ticks = if clock == 2 || clock == 3 { k.task().ticks } else { k.ticks };
    let ns = ticks * (1_000_000_000 / x86::HZ as u64);
    let ts = [(ns / 1_000_000_000).to_le_bytes(), (ns % 1_000_000_000).to_le_bytes()];
    copy_out(k, tp, ts.as_flattened()).map(|()| 0)
}

/// getrandom: up to 256 bytes a call (Linux too may give fewer), from the time-stamp
/// counter, as AT_RANDOM. Flags: GRND_NONBLOCK, GRND_RANDOM and GRND_INSECURE (0b111).
fn sys_getrandom(k: &mut Kernel, buf: u64, len: u64, flags: u64) -> SysResult {
    if flags & !0b111 != 0 {
        return Err(Errno::EINVAL);
    }
    let n = len.min(256) as usize;
    let bytes: Vec<u8> = core::iter::repeat_with(task::random_bytes).flatten().take(n).collect();
    copy_out(k, buf, &bytes).map(|()| n as u64)
}
