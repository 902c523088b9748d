/**
 * One turn of the event loop, for loops of synchronous work (a CPU backend's decode step) that must let input,
 * cancellation and other requests' I/O run between steps. Node has setImmediate; a page does not, and its
 * setTimeout(0) waits at least 4 ms once nested, so there a message to itself does the same.
 */
export function nextTurn(): Promise<void> {
  if (typeof setImmediate === "function") return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    // (Node's types lack onmessage on MessagePort; the page's port has it, and Node never gets here.)
    (channel.port1 as unknown as { onmessage: () => void }).onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
