# tree.sh: a few processes, then their tree
sleep 100 &
bash -c 'sleep 100 & sleep 100 & wait' &
python3 -c 'import threading, time
for _ in range(2): threading.Thread(target=time.sleep, args=(100,), daemon=True).start()
time.sleep(100)' &
sleep 0.5
pstree -p
