/* hello: the smallest C program, through musl's stdio: writev, and the
   console's TIOCGWINSZ that makes stdout line-buffered. */
#include <stdio.h>

int main(void)
{
    printf("hello from C\n");
    return 0;
}
