# zombie.sh: sleep 1 exits, and its parent never waits
sh -c 'sleep 1 & exec sleep 5' &
sleep 2; ps -o pid,ppid,stat,etime,cmd
sleep 4; ps -o pid,ppid,stat,etime,cmd
