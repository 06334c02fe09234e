/* fork_exec: the course's worked example in C. The parent forks; the child
   prints its pid and execs /bin/echo, which says hello with that pid; the
   parent waits for it and reports how it ended. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    printf("parent: pid=%d\n", getpid());
    /* Flush before fork, or the child inherits the unwritten line too. */
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    if (child == 0) {
        char hello[32];
        snprintf(hello, sizeof hello, "pid=%d", getpid());
        printf("child: pid=%d ppid=%d, exec /bin/echo\n", getpid(), getppid());
        fflush(stdout);
        execl("/bin/echo", "echo", "hello", "from", hello, (char *)NULL);
        perror("execl");
        _exit(127);
    }
    int status;
    if (waitpid(child, &status, 0) != child) {
        perror("waitpid");
        return 1;
    }
    printf("parent: child=%d exited with status %d\n", child, WEXITSTATUS(status));
    return 0;
}
