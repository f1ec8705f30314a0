#!/usr/bin/env python3
"""Writes linklayer.pcap, the capture TestLinkLayerMatchesTshark compares with tshark:
python3 linklayer.py linklayer.pcap, then go test ./netsim/dissect -run LinkLayerMatchesTshark -update."""
import struct,sys
def csum(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2),b))
    while s>>16: s=(s&0xffff)+(s>>16)
    return (~s)&0xffff
def mac(s): return bytes(int(x,16) for x in s.split(':'))
def ip4(s): return bytes(int(x) for x in s.split('.'))
import ipaddress
def ip6(s): return ipaddress.IPv6Address(s).packed
def ipv4(src,dst,proto,payload,ttl=64,ident=1,flags=0):
    h=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(payload),ident,flags,ttl,proto,0,ip4(src),ip4(dst))
    h=h[:10]+struct.pack('!H',csum(h))+h[12:]
    return h+payload
def ipv6(src,dst,nxt,payload,hlim=64):
    return struct.pack('!IHBB',0x60000000,len(payload),nxt,hlim)+ip6(src)+ip6(dst)+payload
def udp(sp,dp,data): return struct.pack('!HHHH',sp,dp,8+len(data),0)+data
def icmp(t,c,rest):
    b=struct.pack('!BBH',t,c,0)+rest
    return b[:2]+struct.pack('!H',csum(b))+b[4:]
def icmp6(src,dst,t,c,rest):
    b=struct.pack('!BBH',t,c,0)+rest
    ph=ip6(src)+ip6(dst)+struct.pack('!I3xB',len(b),58)
    return b[:2]+struct.pack('!H',csum(ph+b))+b[4:]
def eth(dst,src,typ,payload): return mac(dst)+mac(src)+struct.pack('!H',typ)+payload
def tag(tpid,pri,dei,vid,inner_type,payload): return struct.pack('!HH',(pri<<13)|(dei<<12)|vid,inner_type)+payload
def arp(op,sha,spa,tha,tpa): return struct.pack('!HHBBH',1,0x0800,6,4,op)+mac(sha)+ip4(spa)+mac(tha)+ip4(tpa)
def write(name,frames,link=1):
    with open(name,'wb') as f:
        f.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,link))
        for i,fr in enumerate(frames):
            f.write(struct.pack('<IIII',1000+i,i*1000,len(fr),len(fr))); f.write(fr)
def udp(sp,dp,data): return struct.pack('!HHHH',sp,dp,8+len(data),0x1234)+data
A='00:1b:21:aa:bb:cc'; B='3c:d9:2b:da:2d:79'; BC='ff:ff:ff:ff:ff:ff'
u=ipv4('10.0.0.1','10.0.0.2',17,udp(1234,5678,b'hello'))
fr=[]
# VLAN, QinQ, 802.1ad, unknown EtherTypes
fr.append(eth(BC,A,0x8100,tag(0x8100,3,0,100,0x0800,u)))
fr.append(eth(B,A,0x88a8,tag(0x88a8,0,0,200,0x8100,tag(0x8100,5,1,2001,0x0806,arp(1,A,'10.0.0.1','00:00:00:00:00:00','10.0.0.2')))))
fr.append(eth(B,A,0x9100,tag(0x9100,0,0,300,0x8100,tag(0x8100,0,0,30,0x0800,u))))
fr.append(eth(B,A,0x8100,tag(0x8100,0,0,10,0x1234,b'\x00'*30)))
fr.append(eth(B,A,0x1234,b'\x01'*40))
fr.append(eth(B,A,0x8100,tag(0x8100,7,0,4095,0x86dd,ipv6('fe80::1','ff02::1',58,icmp6('fe80::1','ff02::1',134,0,struct.pack('!BBHII',64,0,1800,0,0)+bytes([1,1])+mac(A))))))
fr.append(eth(B,A,0x8100,tag(0x8100,0,0,0,0x8100,tag(0x8100,0,0,5,0x0800,ipv4('10.0.0.1','10.0.0.2',1,icmp(8,0,struct.pack('!HH',0x1234,1)+b'abcd'))))))
fr.append(eth(B,A,0x88a8,tag(0x88a8,1,0,200,0x1234,b'\x00'*30)))
fr.append(eth(B,A,0x8100,tag(0x8100,1,0,20,0x0800,ipv4('10.0.0.1','10.0.0.2',99,b'\x00'*30))))
fr.append(eth(B,A,0x9100,tag(0x9100,1,0,20,0x4321,b'\x00'*30)))
fr.append(eth(B,A,0x8100,tag(0x8100,1,0,20,0x0806,arp(2,A,'10.0.0.1',B,'10.0.0.2')+b'\0'*10)))
fr.append(eth(B,A,0x8100,b'\x00\x01'))
# ARP: probe, announcement, gratuitous, duplicate, unknown opcode, cut short
fr.append(eth(BC,A,0x0806,arp(1,A,'0.0.0.0','00:00:00:00:00:00','10.0.0.9')+b'\0'*18))
fr.append(eth(BC,A,0x0806,arp(1,A,'10.0.0.9','00:00:00:00:00:00','10.0.0.9')+b'\0'*18))
fr.append(eth(BC,A,0x0806,arp(2,A,'10.0.0.9',BC,'10.0.0.9')+b'\0'*18))
fr.append(eth(BC,B,0x0806,arp(1,B,'10.0.0.9','00:00:00:00:00:00','10.0.0.1')+b'\0'*18))
fr.append(eth(BC,B,0x0806,struct.pack('!HHBBH',1,0x0800,6,4,0x25)+mac(B)+ip4('10.0.0.3')+mac(BC)+ip4('10.0.0.1')+b'\0'*18))
fr.append(eth(BC,B,0x0806,struct.pack('!HHBBH',1,0x0800,134,4,1)+b'\0'*38))
fr.append(eth(BC,B,0x0806,struct.pack('!HHBBH',1,0x1234,6,4,1)+mac(B)+ip4('10.0.0.3')+mac(BC)+ip4('10.0.0.1')+b'\0'*18))
for op in [0,3,4,5,6,7,8,9,10,24,25,65535]:
    fr.append(eth(BC,A,0x0806,struct.pack('!HHBBH',1,0x0800,6,4,op)+mac(A)+ip4('10.0.0.3')+mac(B)+ip4('10.0.0.1')+b'\0'*18))
# ICMP types and codes
for t,c in [(0,0),(3,3),(3,20),(4,0),(5,1),(11,0),(12,1),(13,0),(14,0),(17,0),(30,0),(40,5),(42,0),(43,2),(43,9),(50,0),(1,0)]:
    rest=b'\x00\x07\x00\x01' + (ipv4('10.0.0.2','10.0.0.9',17,udp(1,2,b''))[:28] if t in (3,4,5,11,12) else b'\0'*12)
    fr.append(eth(B,A,0x0800,ipv4('10.0.0.1','10.0.0.2',1,icmp(t,c,rest))))
# ICMPv6
S='fe80::1'; D='ff02::1'; slla=bytes([1,1])+mac(A)
for t,c,rest in [(1,0,b'\0'*4+ipv6('fe80::2','fe80::3',17,udp(1,2,b''))),(3,2,b'\0'*4+ipv6('fe80::2','fe80::3',17,udp(1,2,b''))),
        (4,3,b'\0'*4+ipv6('fe80::2','fe80::3',17,udp(1,2,b''))),(128,0,b'\0\1\0\1'),(130,0,b'\0'*20),(133,0,b'\0'*4+slla),
        (135,0,b'\0'*4+ip6('fe80::2')+slla),(136,0,b'\x60\0\0\0'+ip6('fe80::2')+bytes([2,1])+mac(A)),(137,0,b'\0'*4+ip6('fe80::2')+ip6('fe80::3')+slla),
        (139,1,b'\0'*20),(140,2,b'\0'*20),(161,4,b'\0'*20),(162,0,b'\0'*20),(200,0,b'\0'*20)]:
    fr.append(eth(B,A,0x86dd,ipv6(S,D,58,icmp6(S,D,t,c,rest))))
# IPv6 extension headers
S='2001:db8::1'; D='2001:db8::2'
u6=udp(1,2,b'hi')
def hbh(nxt, opts=b'\x01\x04\0\0\0\0'): return bytes([nxt,0])+opts
def dst(nxt): return bytes([nxt,0])+b'\x01\x04\0\0\0\0'
def rh0(nxt, segleft, addrs): return bytes([nxt,2*len(addrs),0,segleft])+b'\0'*4+b''.join(ip6(a) for a in addrs)
def srh(nxt, segleft, addrs): return bytes([nxt,2*len(addrs),4,segleft,len(addrs)-1,0,0,0])+b''.join(ip6(a) for a in addrs)
fr.append(eth(B,A,0x86dd,ipv6(S,D,99,b'\0'*8)))
fr.append(eth(B,A,0x86dd,ipv6(S,D,59,b'\0'*8)))
fr.append(eth(B,A,0x86dd,ipv6(S,D,0,hbh(59))))
fr.append(eth(B,A,0x86dd,ipv6(S,D,0,hbh(99)+b'\0'*8)))
fr.append(eth(B,A,0x86dd,ipv6(S,D,60,dst(17)+u6)))
fr.append(eth(B,A,0x86dd,ipv6(S,D,0,hbh(60)+dst(17)+u6)))
fr.append(eth(B,A,0x86dd,ipv6(S,D,43,rh0(17,0,['2001:db8::5'])+u6)))
fr.append(eth(B,A,0x86dd,ipv6(S,D,43,rh0(17,2,['2001:db8::5','2001:db8::6'])+u6)))
fr.append(eth(B,A,0x86dd,ipv6(S,D,43,srh(17,1,['2001:db8::7','2001:db8::8'])+u6)))
fr.append(eth(B,A,0x86dd,ipv6(S,D,43,srh(17,0,['2001:db8::7','2001:db8::8'])+u6)))
fr.append(eth(B,A,0x86dd,ipv6(S,D,0,hbh(43)+srh(60,1,['2001:db8::7','2001:db8::8'])+dst(58)+icmp6(S,D,128,0,b'\0\1\0\2'))))
fr.append(eth(B,A,0x0800,ipv4('10.0.0.1','10.0.0.2',99,b'\0'*8)))
fr.append(eth(B,A,0x0800,b'\x35'+ipv4('10.0.0.1','10.0.0.2',99,b'\0'*8)[1:]))
fr.append(eth(B,A,0x0800,ipv6(S,D,59,b'\0'*8)))
# MAC names: vendors, group bit, ranges, well-known addresses
for a in ['01:1b:21:01:02:03','ff:ff:ff:ff:ff:ff','01:00:5e:00:00:01','01:00:5e:7f:ff:fa','33:33:00:00:00:01','33:33:00:00:00:fb','33:33:ff:aa:bb:cc','01:80:c2:00:00:00','02:01:00:01:00:00','02:25:14:2a:56:e5','00:00:00:00:00:00','12:34:56:78:9a:bc','00:55:da:01:02:03','00:1b:c5:00:10:ab']:
    fr.append(eth('00:00:00:00:00:01',a,0x1234,b'\0'*46))
write(sys.argv[1],fr)
