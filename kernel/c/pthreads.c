/* pthreads: four threads add to one counter under a mutex; the main thread
   joins them and checks the exact total. musl maps each thread's stack with
   mmap(PROT_NONE) and mprotect, starts it with clone, and parks waiters on
   futexes. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 4
#define ROUNDS 50000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long count;

static void *add(void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        count++;
        pthread_mutex_unlock(&lock);
    }
    return arg;
}

int main(void)
{
    pthread_t threads[THREADS];
    for (long i = 0; i < THREADS; i++) {
        if (pthread_create(&threads[i], NULL, add, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    }
    for (int i = 0; i < THREADS; i++) {
        void *result;
        pthread_join(threads[i], &result);
        printf("joined thread %ld\n", (long)result);
    }
    printf("count = %ld, expected %d: %s\n", count, THREADS * ROUNDS,
           count == THREADS * ROUNDS ? "exact" : "LOST UPDATES");
    return count != THREADS * ROUNDS;
}
