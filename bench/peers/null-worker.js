// The runtime's floor for a large delivery: read the body as one ArrayBuffer and answer.
// A peer for bench/receivers.mjs (memory and CPU of 1 MB and 25 MB deliveries).
export default {
  async fetch(request) {
    const body = await request.arrayBuffer();
    return Response.json({ bytes: body.byteLength });
  },
};
