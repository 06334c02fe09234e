# we.sh: the worked example, from a shell
sh -c 'echo "child: pid=$$, parent pid=$PPID"; exec /bin/echo "hello from pid=$$"' &
echo "parent: pid=$$, child pid=$!"
wait
