/* errors: system calls that must fail, and how: a kernel pointer gives
   EFAULT, a call the kernel lacks ENOSYS, exec of a file that is no
   program ENOEXEC (its path is the first argument). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failed;

static void expect(const char *what, long ret, int want)
{
    int got = ret == -1 ? errno : 0;
    printf("%s: %ld, errno %d (%s): %s\n", what, ret, got, strerror(got),
           got == want ? "as expected" : "WRONG");
    failed += got != want;
}

int main(int argc, char **argv)
{
    void *kernel = (void *)0xffff800000000000;
    expect("write from a kernel address", write(1, kernel, 8), EFAULT);
    int fd = open("/bin/echo", O_RDONLY);
    expect("read into a kernel address", read(fd, kernel, 8), EFAULT);
    expect("system call 999", syscall(999), ENOSYS);
    char *args[] = {"garbage", NULL};
    expect("exec of a file that is no program", execv(argc > 1 ? argv[1] : "/bin/garbage", args), ENOEXEC);
    printf("%d wrong\n", failed);
    return failed;
}
