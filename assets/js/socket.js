// A WebSocket that comes back after a drop. The caller's url() is asked again on every attempt,
// so it can add ?since=<last id seen> and the server replays what was missed.
export function wsUrl(path) {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

export function liveSocket(url, { onFrame, onOpen, onClose } = {}) {
  let ws = null;
  let stopped = false;
  let delay = 500;
  let timer = 0;

  function connect() {
    ws = new WebSocket(url());
    ws.onopen = () => { delay = 500; onOpen?.(); };
    ws.onmessage = (e) => {
      let frame;
      try { frame = JSON.parse(e.data); } catch { return; }
      onFrame?.(frame);
    };
    ws.onclose = (e) => {
      onClose?.(e);
      // 1000 is a deliberate end (a closed room, our own close); anything else is worth a retry.
      if (stopped || e.code === 1000) return;
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  connect();

  return {
    send(message) {
      if (ws?.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(message));
      return true;
    },
    get open() { return ws?.readyState === WebSocket.OPEN; },
    close() {
      stopped = true;
      clearTimeout(timer);
      ws?.close(1000);
    },
  };
}
