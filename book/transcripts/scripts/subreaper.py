# subreaper.py: become a subreaper, then make an orphan
import ctypes, os, subprocess, time
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
subprocess.run(["sh", "-c", "sleep 30 & echo sh $$ started sleep $!"])
time.sleep(0.3)
print("I am the subreaper:", os.getpid())
subprocess.run(["ps", "-o", "pid,ppid,stat,cmd"])
