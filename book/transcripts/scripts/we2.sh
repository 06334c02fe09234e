# we2.sh: the same, with the parent held back a little
sh -c 'echo "child: pid=$$, parent pid=$PPID"; exec /bin/echo "hello from pid=$$"' &
sleep 0.1
echo "parent: pid=$$, child pid=$!"
wait
