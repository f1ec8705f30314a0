package explain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// texts holds every sentence the explanations are made of, by key, in
// English and Russian, as fmt formats taking the same arguments (a
// translation reorders them with explicit indexes, %[2]d). The Russian
// follows the book's terms: пакет, порядковый номер (seq), номер
// подтверждения (ack), тройное рукопожатие, установка и закрытие
// соединения.
var texts = map[string][2]string{
	// The handshake.
	"syn.connect": {
		"%s calls connect(): SYN to port %d, initial sequence number %d (Wireshark shows it as Seq 0: relative numbers count from it).",
		"%s вызывает connect(): пакет SYN на порт %d, начальный порядковый номер %d (Wireshark показывает его как seq 0: относительные номера отсчитываются от него).",
	},
	"syn.waited": {
		"%s's connect() sends its SYN now that the reply of frame %d gave the neighbor's MAC address: SYN to port %d, initial sequence number %d (Wireshark shows it as Seq 0: relative numbers count from it).",
		"connect() %s отправляет SYN теперь, когда ответ из пакета %d сообщил MAC-адрес соседа: пакет SYN на порт %d, начальный порядковый номер %d (Wireshark показывает его как seq 0: относительные номера отсчитываются от него).",
	},
	"syn": {
		"SYN to port %d: a request to open a connection, initial sequence number %d (Seq 0 in relative numbers).",
		"пакет SYN на порт %d: запрос на установку соединения, начальный порядковый номер %d (относительный seq 0).",
	},
	"syn.again.timer": {
		"SYN sent again: no SYN/ACK came, so the connection-setup timer%s fired; same initial sequence number as frame %d.",
		"SYN отправлен повторно: ответ SYN/ACK не пришёл, и сработал таймер установки соединения%s; начальный порядковый номер тот же, что в пакете %d.",
	},
	"syn.again": {
		"SYN again, with the same initial sequence number as frame %d.",
		"повторный SYN с тем же начальным порядковым номером, что в пакете %d.",
	},
	"synack.answer": {
		"%s answers the SYN of frame %d: SYN/ACK with its own initial sequence number %d; Ack 1 = %s Seq 0 + 1 (a SYN takes one sequence number).",
		"%s отвечает на SYN из пакета %d: пакет SYN/ACK с собственным начальным порядковым номером %d; ack 1 = seq %s (0) + 1 (SYN занимает один порядковый номер).",
	},
	"synack": {
		"SYN/ACK: accepts the connection, initial sequence number %d; Ack 1 = %s Seq 0 + 1 (a SYN takes one sequence number).",
		"пакет SYN/ACK: согласие на соединение, начальный порядковый номер %d; ack 1 = seq %s (0) + 1 (SYN занимает один порядковый номер).",
	},
	"synack.again.timer": {
		"SYN/ACK sent again: the handshake's last ACK did not come, so the timer%s fired.",
		"SYN/ACK отправлен повторно: последнее подтверждение рукопожатия не пришло, и сработал таймер%s.",
	},
	"synack.again.syn": {
		"%s answers the repeated SYN of frame %d with its SYN/ACK again.",
		"%s отвечает на повторный SYN из пакета %d, снова отправляя SYN/ACK.",
	},
	"synack.again": {
		"SYN/ACK again (same initial sequence number as frame %d).",
		"повторный SYN/ACK (тот же начальный порядковый номер, что в пакете %d).",
	},
	"ack.handshake": {
		"%s acknowledges the SYN/ACK of frame %d: Ack 1 = %s Seq 0 + 1; the three-way handshake is complete.",
		"%s подтверждает SYN/ACK из пакета %d: ack 1 = seq %s (0) + 1; тройное рукопожатие завершено.",
	},

	// Data and its acknowledgments.
	"data.write": {
		"%s calls %s() with %s: Seq %d, Len %d (relative); the next byte will be Seq %d.",
		"%s вызывает %s() и передаёт %s: seq %d, размер данных %d (относительные номера); следующий байт получит seq %d.",
	},
	"data.write.part": {
		"%s calls %s() with %s; this segment carries Seq %d, Len %d (relative), the next will start at Seq %d.",
		"%s вызывает %s() и передаёт %s; этот пакет несёт seq %d, размер данных %d (относительные номера), следующий начнётся с seq %d.",
	},
	"data.write.more": {
		"%s calls %s() with %s; this segment carries those bytes together with data written earlier: Seq %d, Len %d (relative), the next will start at Seq %d.",
		"%s вызывает %s() и передаёт %s; этот пакет несёт эти байты вместе с данными, записанными ранее: seq %d, размер данных %d (относительные номера), следующий начнётся с seq %d.",
	},
	"data.call": {
		"%s calls %s(); data goes out: Seq %d, Len %d (relative).",
		"%s вызывает %s(); уходят данные: seq %d, размер данных %d (относительные номера).",
	},
	"data.arrival": {
		"%s sends more of the data written earlier, now that frame %d has arrived: Seq %d, Len %d (relative).",
		"%s отправляет следующую часть записанных ранее данных, так как пришёл пакет %d: seq %d, размер данных %d (относительные номера).",
	},
	"data.arrival.ack": {
		"%s sends more of the data written earlier, now that the ACK of frame %d makes room: Seq %d, Len %d (relative).",
		"%s отправляет следующую часть записанных ранее данных: подтверждение из пакета %d освободило место; seq %d, размер данных %d (относительные номера).",
	},
	"data.timer": {
		"data sent when a stack timer%s fired: Seq %d, Len %d (relative).",
		"данные отправлены по срабатыванию таймера стека%s: seq %d, размер данных %d (относительные номера).",
	},
	"data": {
		"data: Seq %d, Len %d (relative); the next byte will be Seq %d.",
		"данные: seq %d, размер данных %d (относительные номера); следующий байт получит seq %d.",
	},
	"ack.data1": {
		"%s acknowledges the %s of frame %d: Ack %d = Seq %d + Len %d.",
		"%[1]s подтверждает получение данных из пакета %[3]d (%[2]s): ack %[4]d = seq %[5]d + %[6]d (размер данных).",
	},
	"ack.dataN": {
		"%s acknowledges the data of frames %s (%s): Ack %d = Seq %d + Len %d of frame %d.",
		"%[1]s подтверждает получение данных из пакетов %[2]s (%[3]s): ack %[4]d = seq %[5]d + %[6]d (размер данных пакета %[7]d).",
	},
	"ack.upto": {
		"%s acknowledges the data up to Ack %d: every byte before it has arrived.",
		"%s подтверждает получение данных: ack %d, все байты до него получены.",
	},
	"ack.fin.alone": {
		"%s acknowledges the FIN of frame %d at once: Ack %d = Seq %d + 1 (a FIN takes one sequence number). gVisor sends this ACK on its own; Linux would delay it and fold it into the next segment it sends (in the book, its own FIN).",
		"%s сразу подтверждает FIN из пакета %d: ack %d = seq %d + 1 (FIN занимает один порядковый номер). gVisor отправляет это подтверждение отдельным пакетом; Linux отложил бы его и объединил со следующим своим сегментом (в книге — со своим FIN).",
	},
	"ack.fin.last": {
		"%s acknowledges the FIN of frame %d: Ack %d = Seq %d + 1; both sides have closed, the connection is over.",
		"%s подтверждает FIN из пакета %d: ack %d = seq %d + 1; обе стороны закрыли соединение.",
	},
	"ack.fin": {
		"%s acknowledges the FIN of frame %d: Ack %d = Seq %d + 1 (a FIN takes one sequence number).",
		"%s подтверждает FIN из пакета %d: ack %d = seq %d + 1 (FIN занимает один порядковый номер).",
	},
	"ack.dup": {
		"%s repeats Ack %d (duplicate ACK %d): frame %d brought Seq %d, but the bytes from %[2]d have not arrived, so it asks for them again.",
		"%s повторяет ack %d (дубликат подтверждения №%d): пакет %d принёс seq %d, но байты начиная с %[2]d ещё не пришли, и получатель снова просит их.",
	},
	"ack.dup.plain": {
		"duplicate ACK %d: Ack %d again, the bytes from %[2]d are still missing.",
		"дубликат подтверждения №%d: снова ack %d, байты начиная с %[2]d ещё не получены.",
	},
	"ack.old": {
		"%s answers frame %d, whose bytes (Seq %d) it already has: Ack %d again.",
		"%s отвечает на пакет %d, байты которого (seq %d) уже получены: снова ack %d.",
	},
	"ack.winupdate.read": {
		"window update: %s calls %s() and frees buffer space, so the receive window grows from %d to %d bytes (Ack %d unchanged).",
		"обновление окна: %s вызывает %s() и освобождает буфер, поэтому окно приёма растёт с %d до %d байт (ack %d не меняется).",
	},
	"ack.winupdate": {
		"window update: the receive window is now %d bytes (it was %d); Ack %d unchanged.",
		"обновление окна: окно приёма теперь %d байт (было %d); ack %d не меняется.",
	},
	"ack.keepalive.answer": {
		"%s answers the keep-alive of frame %d with Ack %d: the connection is still alive.",
		"%s отвечает на keep-alive из пакета %d подтверждением ack %d: соединение живо.",
	},
	"ack.zwp.answer": {
		"%s answers the zero window probe of frame %d: Ack %d, window %d bytes.",
		"%s отвечает на проверку нулевого окна из пакета %d: ack %d, окно %d байт.",
	},
	"ack.plain": {
		"ACK: Ack %d, window %d bytes.",
		"подтверждение: ack %d, окно %d байт.",
	},
	"zerowin": {
		"Window 0: the receive buffer is full, so the sender must stop until it opens.",
		"Окно равно 0: буфер приёма заполнен, и отправитель должен ждать, пока оно не откроется.",
	},

	// Timers and losses.
	"keepalive": {
		"keep-alive: the keep-alive timer%s fired on an idle connection, so %s sends an empty segment with Seq %d, one below the next byte; the peer must answer it with an ACK.",
		"keep-alive: на простаивающем соединении сработал таймер keep-alive%s, поэтому %s отправляет пустой пакет с seq %d (на единицу меньше следующего); получатель должен ответить на него подтверждением.",
	},
	"keepalive.plain": {
		"keep-alive: an empty segment with Seq %d, one below the next byte, to make the peer answer.",
		"keep-alive: пустой пакет с seq %d (на единицу меньше следующего), чтобы получатель ответил.",
	},
	"zwp": {
		"zero window probe: the receiver's window is 0 (frame %d), so when the timer%s fires %s sends 1 byte that was already acknowledged (Seq %d) to make the receiver answer with its current window.",
		"проверка нулевого окна: окно получателя равно 0 (пакет %d), поэтому, когда срабатывает таймер%s, %s отправляет 1 уже подтверждённый байт (seq %d), чтобы получатель ответил и сообщил текущее окно.",
	},
	"zwp.plain": {
		"zero window probe: the receiver's window is 0 (frame %d), and this segment carries 1 byte that was already acknowledged (Seq %d), to make the receiver answer with its current window.",
		"проверка нулевого окна: окно получателя равно 0 (пакет %d), а этот пакет несёт 1 уже подтверждённый байт (seq %d), чтобы получатель ответил и сообщил текущее окно.",
	},
	"rtx.rto": {
		"retransmission of %s: the retransmission timer%s fired with %s unacknowledged, so %s sends Seq %d, Len %d again.",
		"повторная передача %s: сработал таймер повторной передачи%s, неподтверждённых пакетов: %s; %s снова отправляет seq %d, размер данных %d.",
	},
	"rtx.fast": {
		"fast retransmit of %s after %s (%s): the receiver keeps asking for Seq %d, so %s sends it again without waiting for the timer.",
		"быстрая повторная передача %s после %s (%s): получатель продолжает запрашивать seq %d, поэтому %s отправляет его снова, не дожидаясь таймера.",
	},
	"rtx.fast.sack": {
		"fast retransmit of %s: the ACKs (with SACK blocks) show Seq %d missing, so %s sends it again without waiting for the timer.",
		"быстрая повторная передача %s: подтверждения (с блоками SACK) показывают, что seq %d не получен, поэтому %s отправляет его снова, не дожидаясь таймера.",
	},
	"rtx.rack": {
		"fast retransmit of %s: the reorder timer (RACK%s) fired and the segment now counts as lost, so %s sends Seq %d, Len %d again.",
		"быстрая повторная передача %s: сработал таймер переупорядочивания (RACK%s), пакет считается потерянным, и %s снова отправляет seq %d, размер данных %d.",
	},
	"rtx.tlp": {
		"tail loss probe: no ACK came within the probe timeout%s, so %s sends its last segment (%s, Seq %d, Len %d) again; the ACK this provokes shows what was lost.",
		"проверка потери последних пакетов (tail loss probe): подтверждение не пришло за время ожидания%s, поэтому %s повторяет свой последний пакет (%s, seq %d, размер данных %d); ответное подтверждение покажет, что потеряно.",
	},
	"tlp.new": {
		"tail loss probe: no ACK came within the probe timeout%s, so %s sends new data (Seq %d, Len %d) to provoke an ACK.",
		"проверка потери последних пакетов (tail loss probe): подтверждение не пришло за время ожидания%s, поэтому %s отправляет новые данные (seq %d, размер данных %d), чтобы вызвать подтверждение.",
	},
	"rtx.recovery": {
		"retransmission of %s: the ACK of frame %d shows Seq %d still missing, so %s, recovering from the loss, sends it again (Len %d).",
		"повторная передача %s: подтверждение из пакета %d показывает, что seq %d всё ещё не получен, поэтому %s, восстанавливаясь после потери, отправляет его снова (размер данных %d).",
	},
	"rtx": {
		"retransmission of %s: Seq %d, Len %d sent again.",
		"повторная передача %s: seq %d, размер данных %d отправлены снова.",
	},
	"rtx.fin.rto": {
		"retransmission of the FIN of frame %d: the retransmission timer%s fired before the FIN was acknowledged.",
		"повторная передача FIN из пакета %d: сработал таймер повторной передачи%s, а FIN так и не был подтверждён.",
	},
	"rtx.fin.tlp": {
		"tail loss probe: no ACK came within the probe timeout%s, so %s sends its FIN (frame %d) again.",
		"проверка потери последних пакетов (tail loss probe): подтверждение не пришло за время ожидания%s, поэтому %s повторяет свой FIN (пакет %d).",
	},
	"rtx.rack.more": {
		"retransmission of %s: the reorder timer (RACK%s) fired while recovering from loss and this segment now counts as lost too, so %s sends Seq %d, Len %d again.",
		"повторная передача %s: во время восстановления после потерь сработал таймер переупорядочивания (RACK%s), этот пакет тоже считается потерянным, и %s снова отправляет seq %d, размер данных %d.",
	},
	"rtx.fin.timer": {
		"retransmission of the FIN of frame %d: a stack timer%s fired before the FIN was acknowledged.",
		"повторная передача FIN из пакета %d: сработал таймер стека%s, а FIN так и не был подтверждён.",
	},
	"rtx.fin.arrival": {
		"retransmission of the FIN of frame %d: the ACK of frame %d shows it still unacknowledged, so %s, recovering from loss, sends it again.",
		"повторная передача FIN из пакета %d: подтверждение из пакета %d показывает, что он всё ещё не подтверждён, поэтому %s, восстанавливаясь после потерь, отправляет его снова.",
	},
	"rtx.fin": {
		"retransmission of the FIN of frame %d.",
		"повторная передача FIN из пакета %d.",
	},

	// The teardown.
	"fin.close": {
		"%s calls %s(): FIN, Seq %d: no more data from this side (a FIN takes one sequence number, so its ACK will be %d).",
		"%s вызывает %s(): пакет FIN, seq %d: эта сторона больше не будет отправлять данные (FIN занимает один порядковый номер, поэтому его подтверждение будет ack %d).",
	},
	"fin.close.second": {
		"%s calls %s(): FIN, Seq %d, Ack %d: it closes its side too.",
		"%s вызывает %s(): пакет FIN, seq %d, ack %d: эта сторона тоже закрывает соединение.",
	},
	"fin.close.data": {
		"%s calls %s(): the last data and the FIN in one segment, Seq %d, Len %d; no more data from this side.",
		"%s вызывает %s(): последние данные и FIN в одном пакете, seq %d, размер данных %d; эта сторона больше не будет отправлять данные.",
	},
	"fin.arrival": {
		"%s sends its FIN, Seq %d, as it handles frame %d: the application closed its side earlier.",
		"%s отправляет свой FIN, seq %d, обрабатывая пакет %d: приложение закрыло свою сторону раньше.",
	},
	"fin.teardown": {
		"FIN, Seq %d: the network shuts down and closes the socket.",
		"пакет FIN, seq %d: сеть завершает работу и закрывает сокет.",
	},
	"fin": {
		"FIN, Seq %d: no more data from this side.",
		"пакет FIN, seq %d: эта сторона больше не будет отправлять данные.",
	},
	"rst.refused": {
		"RST: connection refused, nothing listens on port %d (answer to the SYN of frame %d).",
		"RST: в соединении отказано, порт %d никто не слушает (ответ на SYN из пакета %d).",
	},
	"rst.abort": {
		"RST: %s aborts the connection (abort(), SO_LINGER 0): the peer gets \"connection reset\" instead of an orderly close.",
		"RST: %s обрывает соединение (abort(), SO_LINGER 0): вместо обычного закрытия получатель увидит «connection reset».",
	},
	"rst.close": {
		"RST: %s calls close() and the stack resets the connection instead of sending a FIN (received data left unread, or SO_LINGER 0).",
		"RST: %s вызывает close(), и стек сбрасывает соединение вместо отправки FIN (полученные данные не прочитаны или SO_LINGER 0).",
	},
	"rst.call": {
		"RST: %s calls %s() and the stack resets the connection.",
		"RST: %s вызывает %s(), и стек сбрасывает соединение.",
	},
	"rst.noconn": {
		"RST: frame %d arrived for a connection that is not open here (closed, or never opened), so %s answers with a reset.",
		"RST: пакет %d пришёл для соединения, которое здесь не открыто (уже закрыто или не существовало), поэтому %s отвечает сбросом.",
	},
	"rst.timer": {
		"RST: %s resets the connection when a timer%s fires.",
		"RST: %s сбрасывает соединение по срабатыванию таймера%s.",
	},
	"rst.teardown": {
		"RST: the network shuts down with the connection still open.",
		"RST: сеть завершает работу, а соединение ещё открыто.",
	},
	"rst": {
		"RST: the connection is reset.",
		"RST: соединение сброшено.",
	},

	// UDP, ICMP, ARP, NDP, routers.
	"udp.call": {
		"UDP datagram of %s: %s calls %s() to %s; UDP has no handshake and no acknowledgments.",
		"UDP пакет, %s данных: %s вызывает %s() на адрес %s; UDP не устанавливает соединения и не подтверждает получение.",
	},
	"udp": {
		"UDP datagram of %s from port %d to port %d.",
		"UDP пакет, %s данных, с порта %d на порт %d.",
	},
	"icmp.port": {
		"ICMP port unreachable: the UDP datagram of frame %d reached port %d, where nothing listens.",
		"ICMP «порт недоступен»: UDP пакет %d пришёл на порт %d, который никто не слушает.",
	},
	"icmp.port.plain": {
		"ICMP port unreachable: a datagram reached port %d, where nothing listens.",
		"ICMP «порт недоступен»: пакет пришёл на порт %d, который никто не слушает.",
	},
	"icmp.frag": {
		"ICMP fragmentation needed: the packet of frame %d is too big for the next link (MTU %d) and may not be fragmented; the sender must send smaller packets.",
		"ICMP «требуется фрагментация»: пакет %d слишком велик для следующего канала (MTU %d), а фрагментировать его нельзя; отправитель должен уменьшить пакеты.",
	},
	"icmp.toobig": {
		"ICMPv6 packet too big: the packet of frame %d does not fit the next link (MTU %d); the sender must send smaller packets.",
		"ICMPv6 «пакет слишком велик»: пакет %d не помещается в следующий канал (MTU %d); отправитель должен уменьшить пакеты.",
	},
	"icmp.frag.plain": {
		"ICMP fragmentation needed: a packet is too big for the next link (MTU %d) and may not be fragmented; the sender must send smaller packets.",
		"ICMP «требуется фрагментация»: пакет слишком велик для следующего канала (MTU %d), а фрагментировать его нельзя; отправитель должен уменьшить пакеты.",
	},
	"icmp.toobig.plain": {
		"ICMPv6 packet too big: a packet does not fit the next link (MTU %d); the sender must send smaller packets.",
		"ICMPv6 «пакет слишком велик»: пакет не помещается в следующий канал (MTU %d); отправитель должен уменьшить пакеты.",
	},
	"icmp.ttl.plain": {
		"ICMP time exceeded: a packet has run out of hops (TTL), so it is dropped and its sender told.",
		"ICMP «время жизни истекло»: у пакета кончился TTL, поэтому он отброшен, а отправитель уведомлён.",
	},
	"icmp.ttl": {
		"ICMP time exceeded: the packet of frame %d has run out of hops (TTL), so it is dropped and its sender told.",
		"ICMP «время жизни истекло»: у пакета %d кончился TTL, поэтому он отброшен, а отправитель уведомлён.",
	},
	"icmp.unreach": {
		"ICMP destination unreachable (code %d): the packet of frame %d cannot be delivered.",
		"ICMP «адресат недоступен» (код %d): пакет %d не может быть доставлен.",
	},
	"icmp.echo": {
		"ICMP echo request (ping) to %s.",
		"ICMP эхо-запрос (ping) к %s.",
	},
	"icmp.echoreply": {
		"ICMP echo reply from %s.",
		"ICMP эхо-ответ от %s.",
	},
	"icmp": {
		"ICMP message, type %d, code %d.",
		"сообщение ICMP, тип %d, код %d.",
	},
	"arp.req": {
		"ARP request: who has %s? Tell %s.",
		"ARP-запрос: у кого адрес %s? Сообщите %s.",
	},
	"arp.probe": {
		"ARP request sent straight to the MAC address already known for %s: the stack checks that it is still right (neighbor unreachability detection, when its timer%s fires after the entry was used).",
		"ARP-запрос прямо на уже известный MAC-адрес %s: стек проверяет, что адрес всё ещё верен (проверка доступности соседа по таймеру%s после использования записи).",
	},
	"ndp.probe": {
		"NDP neighbor solicitation sent straight to %s: the stack checks that the MAC address it knows is still right (neighbor unreachability detection, when its timer%s fires after the entry was used).",
		"NDP-запрос соседа прямо на адрес %s: стек проверяет, что известный ему MAC-адрес всё ещё верен (проверка доступности соседа по таймеру%s после использования записи).",
	},
	"arp.reply": {
		"ARP reply: %s is at %s (answers the request of frame %d).",
		"ARP-ответ: у %s MAC-адрес %s (ответ на запрос из пакета %d).",
	},
	"arp.reply.plain": {
		"ARP reply: %s is at %s.",
		"ARP-ответ: у %s MAC-адрес %s.",
	},
	"ndp.ns": {
		"NDP neighbor solicitation (IPv6's ARP): who has %s?",
		"NDP-запрос соседа (neighbor solicitation, ARP в IPv6): у кого адрес %s?",
	},
	"neighbor.call": {
		"The stack needs that address's Ethernet (MAC) address before the first packet of %s's %s() can go out.",
		"Стеку нужен MAC-адрес этого узла, чтобы отправить первый пакет вызова %[2]s() программы %[1]s.",
	},
	"neighbor.arrival": {
		"To answer frame %d the stack needs that address's Ethernet (MAC) address.",
		"Чтобы ответить на пакет %d, стеку нужен MAC-адрес этого узла.",
	},
	"neighbor.forward": {
		"To pass frame %d on, the router needs that address's Ethernet (MAC) address.",
		"Чтобы переслать пакет %d дальше, маршрутизатору нужен MAC-адрес этого узла.",
	},
	"neighbor.either": {
		"To answer or pass on frame %d, the stack needs that address's Ethernet (MAC) address.",
		"Чтобы ответить на пакет %d или переслать его, стеку нужен MAC-адрес этого узла.",
	},
	"neighbor": {
		"The sender needs that address's Ethernet (MAC) address before it can send an IP packet to it.",
		"Отправителю нужен MAC-адрес этого узла, чтобы отправить ему IP-пакет.",
	},
	"waited.neighbor": {
		"It waited for the neighbor's MAC address, which the reply of frame %d gave.",
		"Он ждал MAC-адреса получателя, который сообщил ответ из пакета %d.",
	},
	"rtx.pmtu": {
		"retransmission of %s in smaller segments: the ICMP message of frame %d says the path takes smaller packets, so %s sends Seq %d, Len %d again.",
		"повторная передача %s меньшими пакетами: ICMP-сообщение из пакета %d говорит, что путь пропускает только пакеты поменьше, поэтому %s снова отправляет seq %d, размер данных %d.",
	},
	"udp.frag": {
		"first fragment of a UDP datagram of %s from port %d to port %d: the datagram is bigger than the link's MTU, so IP splits it and the receiver puts it together again.",
		"первый фрагмент UDP пакета (%s данных) с порта %d на порт %d: пакет больше MTU канала, поэтому IP делит его на части, а получатель собирает их обратно.",
	},
	"ndp.dad": {
		"NDP duplicate address detection: before using %s, the host asks whether another host already has it.",
		"NDP-проверка дубликата адреса: прежде чем использовать %s, узел спрашивает, не занят ли он другим узлом.",
	},
	"ndp.na": {
		"NDP neighbor advertisement: %s is here (IPv6's ARP reply).",
		"NDP-объявление соседа (neighbor advertisement): адрес %s здесь (ответ ARP в IPv6).",
	},
	"ndp.rs": {
		"NDP router solicitation: the host asks routers on the link to announce themselves.",
		"NDP-запрос маршрутизатора: узел просит маршрутизаторы канала объявить себя.",
	},
	"ndp.ra": {
		"NDP router advertisement: a router announces itself and the link's prefixes.",
		"NDP-объявление маршрутизатора: маршрутизатор сообщает о себе и о префиксах канала.",
	},
	"mld": {
		"MLD report: the host tells the link which IPv6 multicast groups it listens to (neighbor discovery needs them).",
		"отчёт MLD: узел сообщает, какие группы многоадресной рассылки IPv6 он слушает (они нужны для обнаружения соседей).",
	},
	"icmp6": {
		"ICMPv6 message, type %d, code %d.",
		"сообщение ICMPv6, тип %d, код %d.",
	},
	"fwd": {
		"forwarded by router %s: frame %d passed on to the next link (TTL %d → %d).",
		"переслан маршрутизатором %s: пакет %d передан в следующий канал (TTL %d → %d).",
	},
	"fwd.plain": {
		"forwarded by router %s (TTL now %d).",
		"переслан маршрутизатором %s (TTL теперь %d).",
	},
	"fwd.switch": {
		"passed on by switch %s: frame %d goes out on this link unchanged.",
		"передан коммутатором %s: пакет %d без изменений уходит в этот канал.",
	},
	"fwd.switch.plain": {
		"passed on by switch %s, unchanged.",
		"передан коммутатором %s без изменений.",
	},
	"fragment": {
		"a later fragment of an IP packet from %s to %s (no transport header of its own).",
		"следующий фрагмент IP-пакета от %s к %s (без собственного заголовка транспортного уровня).",
	},
	"ip": {
		"IP packet from %s to %s, protocol %d.",
		"IP-пакет от %s к %s, протокол %d.",
	},
	"other": {
		"a frame this explanation does not cover.",
		"пакет, который это пояснение не разбирает.",
	},

	// The wire's notes, as sentences.
	"lost": {
		"Dropped by the network (%s): it never arrives.",
		"Сеть теряет этот пакет (%s): он не дойдёт до получателя.",
	},
	"dropped.queue": {
		"Dropped by the link's queue (full at %d frames, %s): it never arrives.",
		"Отброшен очередью канала (в ней уже %d пакетов, %s): он не дойдёт до получателя.",
	},
	"corrupted": {
		"A bit flips on the way (%s): the receiver's checksum check fails and it discards the frame.",
		"В пути меняется один бит (%s): контрольная сумма у получателя не сойдётся, и он отбросит пакет.",
	},
	"duplicated": {
		"The network delivers it twice.",
		"Сеть доставит его дважды.",
	},
	"reordered": {
		"It arrives ahead of frames sent before it.",
		"Он придёт раньше пакетов, отправленных до него.",
	},
	"why.loss":    {"loss %s on %s", "потери %s на %s"},
	"why.burst":   {"loss %s in bursts of %s on %s", "потери %s пачками по %s на %s"},
	"why.down":    {"the link is down: %s", "канал отключён: %s"},
	"why.corrupt": {"corrupt %s on %s", "искажение %s на %s"},

	// Words.
	"client":      {"client", "клиент"},
	"server":      {"server", "сервер"},
	"client.gen":  {"the client's", "клиента"},
	"server.gen":  {"the server's", "сервера"},
	"stack.role":  {"%s's stack", "стек %s"},
	"stack.host":  {"the stack of %s", "стек узла %s"},
	"stack.addr":  {"the stack at %s", "стек по адресу %s"},
	"frames":      {"frames %s", "пакеты %s"},
	"frame":       {"frame %s", "пакет %s"},
	"dur.rto":     {" (RTO %s)", " (RTO %s)"},
	"dur.pto":     {" (PTO %s)", " (PTO %s)"},
	"dur.rack":    {", %s", ", %s"},
	"dur":         {" (%s)", " (%s)"},
	"fin.of":      {"the FIN of frame %d", "FIN из пакета %d"},
	"frame.gen":   {"frame %d", "пакета %d"},
	"earlier":     {"data sent earlier", "ранее отправленных данных"},
	"earlier.nom": {"sent earlier", "отправлен ранее"},
}

// roleGen is the genitive of a role for "стек клиента" ("client's stack"
// in English is the role itself).
var roleGen = map[string][2]string{
	"client": {"client", "клиента"},
	"server": {"server", "сервера"},
}

// t formats the text key in x's language.
func (x *Explainer) t(key string, args ...any) string {
	m, ok := texts[key]
	if !ok {
		return key
	}
	i := 0
	if x.lang == Russian {
		i = 1
	}
	if len(args) == 0 {
		return m[i]
	}
	return fmt.Sprintf(m[i], args...)
}

func (x *Explainer) ru() bool { return x.lang == Russian }

// bytes says "3 bytes" ("3 байта").
func (x *Explainer) bytes(n int) string {
	if x.ru() {
		return strconv.Itoa(n) + " " + ruPlural(n, "байт", "байта", "байт")
	}
	if n == 1 {
		return "1 byte"
	}
	return strconv.Itoa(n) + " bytes"
}

// dataBytes says "3 data bytes" ("3 байта").
func (x *Explainer) dataBytes(n int) string {
	if x.ru() {
		return x.bytes(n)
	}
	if n == 1 {
		return "1 data byte"
	}
	return strconv.Itoa(n) + " data bytes"
}

// segments says "2 segments" ("2", a count after a colon in Russian).
func (x *Explainer) segments(n int) string {
	if x.ru() {
		return strconv.Itoa(n)
	}
	if n == 1 {
		return "1 segment"
	}
	return strconv.Itoa(n) + " segments"
}

// dupAcks says "3 duplicate ACKs" ("3 дубликатов подтверждения", after
// "после").
func (x *Explainer) dupAcks(n int) string {
	if x.ru() {
		w := "дубликатов"
		if n%10 == 1 && n%100 != 11 {
			w = "дубликата"
		}
		return strconv.Itoa(n) + " " + w + " подтверждения"
	}
	if n == 1 {
		return "1 duplicate ACK"
	}
	return strconv.Itoa(n) + " duplicate ACKs"
}

// ruPlural picks the Russian form for n: one (1, 21), few (2-4, 22-24),
// many (5-20, 25...).
func ruPlural(n int, one, few, many string) string {
	if n < 0 {
		n = -n
	}
	switch {
	case n%100 >= 11 && n%100 <= 14:
		return many
	case n%10 == 1:
		return one
	case n%10 >= 2 && n%10 <= 4:
		return few
	}
	return many
}

// frameList says "frames 14, 15, 16" ("пакеты 14, 15, 16"), or "frames
// 14–20" for a longer run of consecutive numbers, or "frame 14".
func (x *Explainer) frameList(ns []int) string {
	return x.framesWord(ns, numberList(ns))
}

func (x *Explainer) framesWord(ns []int, list string) string {
	if len(ns) == 1 {
		return x.t("frame", list)
	}
	return x.t("frames", list)
}

// numberList writes ns as "14, 15, 16", with runs of more than 3
// consecutive numbers as "14–20" ("6–15, 25"), and at most 6 items then
// "…".
func numberList(ns []int) string {
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if j-i >= 3 {
			parts = append(parts, strconv.Itoa(ns[i])+"–"+strconv.Itoa(ns[j]))
			i = j + 1
		} else {
			parts = append(parts, strconv.Itoa(ns[i]))
			i++
		}
		if len(parts) == 6 && i < len(ns) {
			parts = append(parts, "…")
			break
		}
	}
	return strings.Join(parts, ", ")
}

// dur writes d as a learner reads it: "200 ms", "1.5 s", "50 µs" ("200 мс",
// "1,5 с", "50 мкс").
func (x *Explainer) dur(d time.Duration) string {
	var v float64
	var unit [2]string
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		v, unit = d.Hours(), [2]string{"h", "ч"}
	case d >= time.Minute && d%time.Minute == 0:
		v, unit = d.Minutes(), [2]string{"min", "мин"}
	case d >= time.Second:
		v, unit = d.Seconds(), [2]string{"s", "с"}
	case d >= time.Millisecond:
		v, unit = float64(d)/float64(time.Millisecond), [2]string{"ms", "мс"}
	case d >= time.Microsecond:
		v, unit = float64(d)/float64(time.Microsecond), [2]string{"µs", "мкс"}
	default:
		v, unit = float64(d), [2]string{"ns", "нс"}
	}
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	i := 0
	if x.ru() {
		s = strings.Replace(s, ".", ",", 1)
		i = 1
	}
	return s + " " + unit[i]
}
