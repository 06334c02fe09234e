# orphan.sh: a shell starts sleep in the background and exits
sh -c 'sleep 30 & echo "parent $$ started child $!"'
sleep 0.5
ps -o pid,ppid,stat,cmd
