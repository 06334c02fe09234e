/* A seed for the ELF fuzzer: an ordinary static C program, as gcc (glibc)
 * and musl-gcc link it. Only its headers and segments matter. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("hello from pid %d\n", (int)getpid());
    return 0;
}
