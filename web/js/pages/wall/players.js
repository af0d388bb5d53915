// The ways a tile can play a camera, in the order the wall tries them: WebRTC pass-through,
// MSE (fragmented MP4 over a websocket: B-frames and H.265 without transcoding), WebRTC with
// the server's shared transcode, then MJPEG pictures. Each player fills one <video> (MJPEG:
// an <img>) and reports failures after it started through `onfail(code)`.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { iceConfig } from "./ice.js";

/** Wait for ICE gathering (the server answers without trickle), at most one second. */
export function gathered(pc) {
  return new Promise((done) => {
    if (pc.iceGatheringState === "complete") return done();
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") done();
    });
    setTimeout(done, 1000);
  });
}

/** A refusal with a reason code; `next` says whether a later transport may still work. */
export class PlayError extends Error {
  constructor(code, { next = true, status = 0, mse = null } = {}) {
    super(code);
    this.code = code;
    this.next = next;
    this.status = status;
    this.mse = mse; // needs_transcode: the MSE type the server offers
  }
}

/** Whether this browser can play a stream over MSE. */
export function mseSupports(mime) {
  return Boolean(mime && window.MediaSource && window.MediaSource.isTypeSupported(mime));
}

function failure(err) {
  const code = err?.code || err?.problem?.type?.split("/").pop() || "error";
  const status = err?.status || 0;
  // Not allowed or gone: no other transport changes that.
  return new PlayError(code, { next: status !== 403 && status !== 404, status, mse: err?.problem?.mse });
}

export class WebRtcPlayer {
  /** `transcode`: false asks for pass-through only (409 needs_transcode otherwise). */
  constructor(video, cameraId, stream, { transcode = false } = {}) {
    this.video = video;
    this.cameraId = cameraId;
    this.stream = stream;
    this.transcode = transcode;
    this.kind = transcode ? "transcode" : "webrtc";
    this.pc = null;
    this.viewerId = null;
    this.stopped = false;
    this.aborter = new AbortController(); // stopping hangs up a pending offer: the server closes it
    this.onfail = () => {};
  }

  async start() {
    if (!window.RTCPeerConnection) throw new PlayError("no_webrtc");
    const pc = new RTCPeerConnection(await iceConfig());
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (e) => {
      this.video.srcObject = e.streams[0] || new MediaStream([e.track]);
    };
    pc.onconnectionstatechange = () => {
      if (!this.stopped && ["failed", "disconnected", "closed"].includes(pc.connectionState)) {
        this.onfail("connection");
      }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    if (this.stopped) return;
    let answer;
    try {
      answer = await api("POST", `/api/live/${encodeURIComponent(this.cameraId)}/offer`, {
        body: {
          sdp: pc.localDescription.sdp,
          type: "offer",
          stream: this.stream,
          allow_transcode: this.transcode,
        },
        signal: this.aborter.signal,
      });
    } catch (err) {
      throw failure(err);
    }
    if (!answer) throw new PlayError("abandoned");
    if (this.stopped) {
      // Stopped while the offer was out: end the server's viewer now, not at its ICE timeout.
      api("DELETE", `/api/live/${answer.viewer_id}`).catch(() => {});
      return;
    }
    this.viewerId = answer.viewer_id;
    this.mode = answer.mode;
    this.kind = answer.mode.startsWith("transcode") ? "transcode" : "webrtc";
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  }

  stop() {
    this.stopped = true;
    this.aborter.abort();
    const pc = this.pc;
    this.pc = null;
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.ontrack = null;
    }
    if (this.viewerId) {
      // End the view on the server first, then close the peer: a closed peer ends the view on
      // its own, and a stop sent after it would race that (the server answers 204 either way).
      const id = this.viewerId;
      this.viewerId = null;
      api("DELETE", `/api/live/${id}`, { quiet401: true })
        .catch(() => {})
        .finally(() => pc?.close());
    } else pc?.close();
  }
}

const LIVE_LAG_S = 1.0; // further behind the newest frame than this: jump to it
const KEEP_S = 10; // seconds of played video kept in the buffer

export class MsePlayer {
  constructor(video, cameraId, stream) {
    this.video = video;
    this.cameraId = cameraId;
    this.stream = stream;
    this.kind = "mse";
    this.ws = null;
    this.queue = [];
    this.buffer = null;
    this.stopped = false;
    this.started = false;
    this.onfail = () => {};
  }

  start() {
    if (!window.MediaSource || !window.WebSocket) return Promise.reject(new PlayError("no_mse"));
    return new Promise((resolve, reject) => {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const path = `/api/live/${encodeURIComponent(this.cameraId)}/mse?stream=${this.stream}`;
      const ws = new WebSocket(`${scheme}://${location.host}${path}`);
      ws.binaryType = "arraybuffer";
      this.ws = ws;
      ws.onmessage = (e) => {
        if (typeof e.data === "string") return this.#hello(JSON.parse(e.data), resolve, reject);
        this.queue.push(e.data);
        this.#pump();
      };
      ws.onclose = (e) => {
        if (this.stopped) return;
        const code = e.reason || "closed";
        if (!this.started) reject(new PlayError(code, { next: e.code !== 4403 && e.code !== 4404 }));
        else this.onfail(code);
      };
    });
  }

  #hello(msg, resolve, reject) {
    if (msg.type !== "codec") return;
    if (!window.MediaSource.isTypeSupported(msg.mime)) {
      this.stopped = true;
      this.ws.close();
      reject(new PlayError("unsupported_codec"));
      return;
    }
    this.viewerId = msg.viewer_id;
    const source = new MediaSource();
    this.source = source;
    this.video.src = URL.createObjectURL(source);
    source.addEventListener("sourceopen", () => {
      if (this.stopped) return;
      this.buffer = source.addSourceBuffer(msg.mime);
      this.buffer.mode = "segments";
      this.buffer.addEventListener("updateend", () => this.#pump());
      this.buffer.addEventListener("error", () => this.onfail("decode"));
      this.started = true;
      this.ws.send(JSON.stringify({ type: "start" }));
      resolve();
    });
  }

  #pump() {
    const sb = this.buffer;
    if (!sb || sb.updating || this.stopped) return;
    const v = this.video;
    if (v.buffered.length) {
      const end = v.buffered.end(v.buffered.length - 1);
      // The cached GOP arrives at once: start at its newest frame, and stay near the edge.
      if (end - v.currentTime > LIVE_LAG_S) v.currentTime = Math.max(0, end - 0.05);
      if (v.paused) v.play().catch(() => {});
      const start = v.buffered.start(0);
      if (v.currentTime - start > 2 * KEEP_S) {
        sb.remove(start, v.currentTime - KEEP_S);
        return;
      }
    }
    const next = this.queue.shift();
    if (!next) return;
    try {
      sb.appendBuffer(next);
    } catch (err) {
      if (err.name !== "QuotaExceededError") return this.onfail("decode");
      this.queue.unshift(next); // full: free what was played and try again
      if (v.buffered.length) sb.remove(v.buffered.start(0), Math.max(v.buffered.start(0) + 0.1, v.currentTime - 1));
    }
  }

  stop() {
    this.stopped = true;
    this.queue = [];
    if (this.ws) this.ws.close();
    this.ws = null;
    if (this.video.src) {
      URL.revokeObjectURL(this.video.src);
      this.video.removeAttribute("src");
      this.video.load();
    }
  }
}

export class MjpegPlayer {
  /** Pictures decoded on the server: the last resort (no WebRTC, no transcode slot). */
  constructor(holder, cameraId) {
    this.holder = holder;
    this.cameraId = cameraId;
    this.kind = "mjpeg";
    this.img = null;
    this.onfail = () => {};
    this.onframe = () => {};
  }

  start() {
    return new Promise((resolve, reject) => {
      const img = h("img", { class: "wall-mjpeg", alt: "" });
      img.onload = () => {
        this.onframe();
        resolve();
      };
      img.onerror = () => (this.img === img ? reject(new PlayError("mjpeg")) : null);
      img.src = `/api/live/${encodeURIComponent(this.cameraId)}/mjpeg?fps=5`;
      this.img = img;
      this.holder.append(img);
    });
  }

  stop() {
    if (this.img) {
      this.img.onload = this.img.onerror = null;
      this.img.src = "";
      this.img.remove();
    }
    this.img = null;
  }
}
