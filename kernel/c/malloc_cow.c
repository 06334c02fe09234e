/* malloc_cow: the parent fills 4 MiB from malloc, forks, and the child
   overwrites all of it. Whether fork copies eagerly or on write, the
   parent must still see only its own bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (4 << 20)

static long count(const char *buf, char c)
{
    long n = 0;
    for (long i = 0; i < SIZE; i++)
        n += buf[i] == c;
    return n;
}

int main(void)
{
    char *buf = malloc(SIZE);
    if (buf == NULL) {
        perror("malloc");
        return 1;
    }
    memset(buf, 'p', SIZE);
    printf("parent: pid=%d filled %d MiB with 'p'\n", getpid(), SIZE >> 20);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        memset(buf, 'c', SIZE);
        printf("child: pid=%d wrote 'c' over it: %ld bytes 'c'\n", getpid(), count(buf, 'c'));
        return 0;
    }
    int status;
    waitpid(child, &status, 0);
    long mine = count(buf, 'p');
    printf("parent: child=%d exited; %ld of %d bytes still 'p': %s\n", child, mine, SIZE,
           mine == SIZE ? "private" : "LEAKED");
    free(buf);
    return mine != SIZE;
}
