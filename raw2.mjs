import net from 'node:net';
const T = process.argv[2];
for (const delay of [0, 300]) {
  await new Promise((resolve) => {
    const s = net.connect(18933, '127.0.0.1');
    let got = ''; const ev = [];
    s.on('connect', async () => {
      s.write(`POST /api/beats/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${T}\r\nContent-Type: multipart/form-data; boundary=abc\r\nContent-Length: 1100000\r\n\r\n`);
      if (delay) await new Promise(r => setTimeout(r, delay));
      for (let i = 0; i < 17; i++) { s.write(Buffer.alloc(65536, 1)); }
      ev.push('wrote');
    });
    s.on('data', (d) => { got += d; ev.push('data ' + d.length); });
    s.on('end', () => ev.push('end'));
    s.on('error', (e) => ev.push('error ' + e.code));
    s.on('close', () => { console.log('delay', delay, ev, JSON.stringify(got.slice(0, 80))); resolve(); });
  });
}
