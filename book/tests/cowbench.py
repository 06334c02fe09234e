# Copy-on-write, measured: the numbers behind the cost model in
# book/src/inside/cow.md. Needs Linux, Python 3.8+ and about 2 GiB of free
# memory. Run: python3 book/tests/cowbench.py

import ctypes, mmap, os, time

N = 1 << 30                                     # 1 GiB = 262144 pages of 4 KiB
PAGES = range(0, N, 4096)

def anon():
    m = mmap.mmap(-1, N, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    m.madvise(mmap.MADV_NOHUGEPAGE)             # plain 4 KiB pages
    for off in PAGES:                           # touch every page
        m[off] = 1
    return m

def ms(t0):
    return f"{(time.perf_counter() - t0) * 1e3:8.1f} ms"

buf = anon()

# What an eager fork would have to do: copy every byte into other frames.
dst = anon()
t0 = time.perf_counter()
ctypes.memmove(ctypes.addressof(ctypes.c_char.from_buffer(dst)),
               ctypes.addressof(ctypes.c_char.from_buffer(buf)), N)
print("copy 1 GiB with memmove:        ", ms(t0))
del dst

# fork with copy-on-write: the child exits at once.
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os._exit(0)
print("fork (child exits at once):     ", ms(t0))
os.waitpid(pid, 0)

# fork, then the child writes one byte in every page: 262144 CoW faults.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    t0 = time.perf_counter()
    for off in PAGES:
        buf[off] = 2
    os.write(w, ms(t0).encode())
    os._exit(0)
os.waitpid(pid, 0)
print("child writes every page:        ", os.read(r, 64).decode())

# The parent writes every page. The child is gone, so each page is the
# parent's alone again: every write still faults (the entry is read-only),
# but do_wp_page() only makes it writable, without copying.
t0 = time.perf_counter()
for off in PAGES:
    buf[off] = 3
print("parent writes every page after: ", ms(t0))

# The same loop once more: no faults at all, just the loop.
t0 = time.perf_counter()
for off in PAGES:
    buf[off] = 4
print("same loop, no faults:           ", ms(t0))
