# states.sh: a process in each common state, then ps aux
sleep 300 &                                  # will sleep: S
sleep 300 & sleep 0.2; kill -STOP $!         # stopped by a signal: T
sh -c 'while :; do :; done' &                # busy loop: R
sh -c 'sleep 0.1 & exec sleep 300' &         # its child becomes a zombie: Z
sleep 2
ps aux
