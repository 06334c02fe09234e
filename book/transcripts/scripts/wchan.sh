# wchan.sh: four sleepers, each waiting for something else
sleep 300 &                          # sleeps on a timer
mkfifo demo.fifo; cat demo.fifo &    # blocks opening a FIFO
sleep 300 | cat &                    # cat waits for data in a pipe
sh -c 'sleep 300; :' &               # sh waits for its child
sleep 0.5
ps -o pid,ppid,stat,wchan:20,cmd
