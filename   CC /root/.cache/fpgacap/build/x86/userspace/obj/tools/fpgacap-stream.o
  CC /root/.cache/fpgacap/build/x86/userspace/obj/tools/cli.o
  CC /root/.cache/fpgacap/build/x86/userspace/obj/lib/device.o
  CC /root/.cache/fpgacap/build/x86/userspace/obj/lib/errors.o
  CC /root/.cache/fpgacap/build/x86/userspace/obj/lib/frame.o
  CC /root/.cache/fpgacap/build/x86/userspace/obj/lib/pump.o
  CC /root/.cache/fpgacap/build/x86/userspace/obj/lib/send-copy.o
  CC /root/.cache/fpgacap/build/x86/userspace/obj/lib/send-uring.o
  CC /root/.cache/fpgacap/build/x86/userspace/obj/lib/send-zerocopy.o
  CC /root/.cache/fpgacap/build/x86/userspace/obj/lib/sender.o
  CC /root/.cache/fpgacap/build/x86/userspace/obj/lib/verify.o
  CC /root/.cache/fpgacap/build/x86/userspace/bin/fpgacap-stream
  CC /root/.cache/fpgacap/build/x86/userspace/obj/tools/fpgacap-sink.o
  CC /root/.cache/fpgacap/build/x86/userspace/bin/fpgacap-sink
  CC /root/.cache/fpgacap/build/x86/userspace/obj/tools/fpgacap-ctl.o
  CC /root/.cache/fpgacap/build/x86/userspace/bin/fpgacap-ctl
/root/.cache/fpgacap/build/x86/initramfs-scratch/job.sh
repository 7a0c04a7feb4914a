. /net.sh
net_up
echo hello1 | nc 10.0.2.100 5555
echo "nc1 rc=$?"
echo hello22 | nc 10.0.2.100 5555
echo "nc2 rc=$?"
