# gdb helpers for the mini-kernel. `cargo boot --gdb` writes a script that
# loads this file; `help mini-kernel` in gdb lists what it adds.
#
# They read the kernel's own data structures through its debug info, the way
# Linux's scripts/gdb (lx-ps, lx-dmesg, ...) read Linux's.

import os
import re

import gdb

# Where the kernel keeps its state (kernel/os/src/state.rs): an
# Option<Kernel> in an UnsafeCell.
KERNEL_STATE = "kernel::state::KERNEL"
# The host-side copies of the user programs, with their symbols. The script
# that sources this file sets it.
USER_DIR = None
# User space (USER_START..USER_END in kernel/api/src/paging.rs): the kernel
# image lies below it, the kernel's direct map of memory above it.
USER_START, USER_END = 0x40_0000, 0x8000_0000_0000
# Our trap vectors that are not exceptions (kernel/os/src/cpu.rs).
VECTORS = {14: "page fault", 13: "general protection fault", 32: "timer", 256: "system call"}


def fields(value):
    return [f.name for f in value.type.fields()]


def some(option):
    """The value inside a Rust `Option` that is `Some`, or None."""
    return option["Some"]["__0"] if "Some" in fields(option) else None


def vec_items(vec):
    """The elements of a Rust `Vec<T>`, read through its raw pointer and length."""
    ptr = deref(vec["buf"]).address  # RawVec -> RawVecInner -> Unique -> NonNull -> *u8
    ptr = ptr.cast(vec.type.template_argument(0).pointer())
    return [ptr[i] for i in range(int(vec["len"]))]


def string(s):
    """A Rust `String`, as a Python str."""
    v = s["vec"]
    data = vec_items(v)
    if not data:
        return ""
    raw = gdb.selected_inferior().read_memory(data[0].address, len(data))
    return bytes(raw).decode("utf-8", "replace")


def deref(pointer):
    """What a Rust `Box` or `NonNull` (or a plain pointer) points to."""
    while pointer.type.code != gdb.TYPE_CODE_PTR:
        pointer = pointer[pointer.type.fields()[0]]
    return pointer.dereference()


# ANCHOR: tasks
def kernel():
    try:
        k = some(gdb.parse_and_eval(KERNEL_STATE)["__0"]["value"])
    except gdb.error as e:
        raise gdb.GdbError(f"cannot read {KERNEL_STATE} (is gdb connected?): {e}")
    if k is None:
        raise gdb.GdbError("the kernel has not started yet (kmain sets it up)")
    return k


def tasks():
    """Every task in the table (api::Procs), in slot order."""
    return [p for p in map(some, vec_items(kernel()["procs"]["slots"])) if p is not None]
# ANCHOR_END: tasks


def task(pid=None):
    """The task with `pid`; by default the running one."""
    k = kernel()
    pid = int(k["current"]) if pid is None else pid
    for p in tasks():
        if int(p["pid"]) == pid:
            return p
    raise gdb.GdbError(f"no task with pid {pid} (pid 0, idle, is not in the table)")


def describe(pc, program):
    """Where `pc` is, as `in FUNCTION at FILE:LINE`, if gdb has its symbols.
    A user address means something only in the program whose symbols are
    loaded: `program` is the one the task runs."""
    if USER_START <= pc < USER_END and program != User.program:
        return f"in {program} (load its symbols with: user {program})"
    try:
        block = gdb.block_for_pc(pc)
    except RuntimeError:
        block = None
    while block is not None and block.function is None:
        block = block.superblock
    if block is None:
        return ""
    sal = gdb.find_pc_line(pc)
    where = f" at {sal.symtab.filename}:{sal.line}" if sal.symtab else ""
    return f"in {block.function.print_name}{where}"


def current_name():
    try:
        return string(task()["name"])
    except gdb.GdbError:
        return None


class MiniKernel(gdb.Command):
    """The mini-kernel's gdb helpers.

ps             every task in the kernel's table: pid, ppid, state and name
tf [PID]       a trap frame: the registers user code had when it entered the kernel
fbreak NAME    break on every function whose path ends in NAME:
                 fbreak sys_fork     kernel::syscall::sys_fork
                 fbreak fork::fork   the fork piece's fork (plain `break fork::fork` works too)
                 fbreak main         main of the user program loaded with `user`
user PROGRAM   load the symbols of a user program (a name in the initramfs, or an ELF
               file) at its link address; its breakpoints stop only in that program

A piece's functions live under the piece's name: fork::fork, exec::load,
wait::exit, wait::wait4, switch::init_stack, cow::write_fault. The kernel's
under kernel::FILE, e.g. kernel::syscall::dispatch, kernel::trap::trap.
`info functions REGEX` finds a full path."""

    def __init__(self):
        super().__init__("mini-kernel", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        print(self.__doc__)


class Ps(gdb.Command):
    """Every task in the kernel's table: pid, ppid, state and name (like ps)."""

    def __init__(self):
        super().__init__("ps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        current = int(kernel()["current"])
        print("  PID  PPID STATE     NAME")
        for p in tasks():
            pid = int(p["pid"])
            state = str(p["state"]).split("::")[-1]
            mark = "  <- current" if pid == current else ""
            print(f"{pid:5} {int(p['ppid']):5} {state:9} {string(p['name'])}{mark}")


class Tf(gdb.Command):
    """A trap frame (api::TrapFrame): the registers user code had when it entered the kernel.

tf       the frame of the innermost `trap` call on the stack, else the running
         task's saved frame
tf PID   the saved frame of task PID"""

    def __init__(self):
        super().__init__("tf", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        tf = None if arg.strip() else self.innermost()
        if tf is None:
            t = task(int(arg)) if arg.strip() else task()
            tf, name = deref(t["kstack"])["tf"], string(t["name"])
        else:
            name = current_name()
        vector = int(tf["vector"])
        what = VECTORS.get(vector, "exception" if vector < 32 else "interrupt")
        print(f"trap frame at {tf.address}: vector {vector} ({what}), error {int(tf['error']):#x}")
        rip = int(tf["rip"])
        print(f"  rip {rip:#018x} {describe(rip, name)}")
        regs = ["rsp", "rflags", "cs", "ss", "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp"]
        regs += ["r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
        for i in range(0, len(regs), 4):
            print("  " + "  ".join(f"{r:>6} {int(tf[r]):#018x}" for r in regs[i : i + 4]))

    @staticmethod
    def innermost():
        try:
            frame = gdb.newest_frame()
            while frame is not None and frame.name() != "kernel::trap::trap":
                frame = frame.older()
        except gdb.error:  # the stack could not be walked that far
            return None
        return frame and frame.read_var("frame").dereference()


# ANCHOR: program_breakpoint
class ProgramBreakpoint(gdb.Breakpoint):
    """A breakpoint in user code that stops only in tasks running `program`:
    every user program is linked at 0x400000, so an address alone would also
    stop in whichever other program has code there."""

    def __init__(self, spec, program):
        super().__init__(spec)
        self.program = program

    def stop(self):
        return current_name() == self.program
# ANCHOR_END: program_breakpoint


class User(gdb.Command):
    """Load a user program's symbols at its link address: user NAME (from the
initramfs, e.g. user forkexec) or user PATH (an ELF file). Breakpoints set
afterwards in its code stop only in tasks running that program."""

    program = None
    path = None

    def __init__(self):
        super().__init__("user", gdb.COMMAND_FILES, gdb.COMPLETE_FILENAME)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        path = arg if os.sep in arg else os.path.join(USER_DIR or ".", arg)
        if not os.path.isfile(path):
            raise gdb.GdbError(f"no user program {arg!r} ({path} does not exist)")
        if User.path is not None:
            gdb.execute(f"remove-symbol-file {User.path}", to_string=True)
        # Without an address, gdb puts each section where the file says: a
        # static executable's link address is where exec loads it.
        gdb.execute(f"add-symbol-file {path}", to_string=True)
        # The kernel names a task after the last part of the path it ran.
        User.program, User.path = os.path.basename(path)[:15], path
        print(f"user: symbols of {User.program} from {path}")


class FBreak(gdb.Command):
    """Break on every function whose path ends in NAME: fbreak sys_fork sets a
breakpoint on kernel::syscall::sys_fork. (In gdb 13, `break sys_fork` does
not look inside Rust modules, and `rbreak` fails on Rust functions.)"""

    def __init__(self):
        super().__init__("fbreak", gdb.COMMAND_BREAKPOINTS, gdb.COMPLETE_SYMBOL)

    def invoke(self, arg, from_tty):
        name = arg.strip()
        if not re.fullmatch(r"[\w:]+", name):
            raise gdb.GdbError("usage: fbreak NAME, e.g. fbreak sys_fork or fbreak fork::fork")
        listing = gdb.execute(f"info functions -q -n {name}$", to_string=True)
        found = []
        for line in listing.splitlines():
            m = re.match(r"\d+:\s+(?:static\s+)?fn\s+([\w:{}#]+)", line)
            if m and (m[1] == name or m[1].endswith("::" + name)) and m[1] not in found:
                found.append(m[1])
        if not found:
            raise gdb.GdbError(f"no function named {name} (try: info functions {name})")
        for full in found:
            pc = gdb.decode_line(full)[1][0].pc
            if USER_START <= pc < USER_END and User.program is not None:
                ProgramBreakpoint(full, User.program)
            else:
                gdb.Breakpoint(full)


MiniKernel()
Ps()
Tf()
User()
FBreak()
