// One wall tile: a WebRTC viewer of one camera, with its label, status badge and retry. With a
// bundle (one connection for the wall) the tile's sub-stream comes through it; full screen
// (main stream) still opens the tile's own connection.

import { api } from "../../api.js";
import { h, replace } from "../../dom.js";
import { t } from "../../i18n.js";

export const RETRY_MS = [1000, 2000, 5000, 10000, 30000];

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

export class Tile {
  constructor(index, onSelect, onFull, bundle = null) {
    this.index = index;
    this.bundle = bundle;
    this.active = false; // wants a stream (started and not stopped)
    this.camera = null;
    this.status = null;
    this.pc = null;
    this.viewerId = null;
    this.attempt = 0;
    this.timer = null;
    this.stream = "auto";
    this.offscreen = false;
    this.video = h("video", { muted: true, autoplay: true, playsinline: true });
    this.video.muted = true;
    this.label = h("span", { class: "wall-label" });
    this.badge = h("span", { class: "wall-badge" });
    this.note = h("span", { class: "wall-note" });
    this.el = h(
      "div",
      { class: "wall-tile", tabindex: "0", "data-testid": `wall-tile-${index}` },
      this.video,
      h("div", { class: "wall-caption" }, this.label, this.badge),
      this.note,
    );
    this.el.addEventListener("click", () => onSelect(this));
    this.el.addEventListener("dblclick", () => onFull(this));
  }

  setStatus(status, reasons = []) {
    this.status = status;
    this.el.dataset.status = status || "";
    const text = status === "offline" || status === "degraded" ? t(`wall.status.${status}`) : "";
    const why = reasons.map((r) => t(`health.reason.${r}`)).join(" · ");
    replace(this.badge, text ? `${text}${why ? " · " + why : ""}` : "");
    if (status === "ok" && this.camera && !this.playing()) this.start(true);
  }

  playing() {
    if (this.bundled()) return this.bundle.connected();
    return this.pc && this.pc.connectionState === "connected";
  }

  /** Whether this tile's stream comes through the wall's shared connection. */
  bundled() {
    return Boolean(this.bundle) && this.stream !== "main";
  }

  show(camera) {
    this.stop();
    this.camera = camera;
    replace(this.label, camera ? `${camera.name} · ${camera.id}` : t("wall.empty"));
    this.el.dataset.camera = camera ? camera.id : "";
    if (camera) this.start(true);
  }

  /** Scrolled out of view: stop pulling video; back in view: resume. */
  setOffscreen(off) {
    if (off === this.offscreen) return;
    this.offscreen = off;
    if (off) {
      this.stop(false);
      this.el.dataset.state = this.camera ? "paused" : "";
      replace(this.note, this.camera ? t("wall.paused") : "");
    } else if (this.camera) this.start(true);
  }

  async start(reset = false) {
    if (!this.camera || this.offscreen) return;
    if (reset) this.attempt = 0;
    this.stop(false);
    this.active = true;
    this.el.dataset.state = "connecting";
    replace(this.note, t("wall.connecting"));
    if (this.bundled()) return this.bundle.schedule();
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (e) => {
      this.video.srcObject = e.streams[0] || new MediaStream([e.track]);
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "connected") {
        this.attempt = 0;
        this.el.dataset.state = "playing";
        replace(this.note, "");
      } else if (["failed", "disconnected", "closed"].includes(pc.connectionState)) {
        this.retry();
      }
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const answer = await api("POST", `/api/live/${encodeURIComponent(this.camera.id)}/offer`, {
        body: { sdp: pc.localDescription.sdp, type: "offer", stream: this.stream },
      });
      if (pc !== this.pc) return;
      this.viewerId = answer.viewer_id;
      this.el.dataset.mode = answer.mode;
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    } catch (err) {
      if (pc !== this.pc) return;
      const code = err?.problem?.type?.split("/").pop() || "error";
      replace(this.note, t("wall.failed", { reason: code }));
      this.el.dataset.state = "failed";
      if (err?.status !== 403 && err?.status !== 404) this.retry();
    }
  }

  retry() {
    clearTimeout(this.timer);
    this.el.dataset.state = "reconnecting";
    replace(this.note, t("wall.reconnecting"));
    const wait = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    this.timer = setTimeout(() => this.start(), wait);
  }

  stop(clear = true) {
    clearTimeout(this.timer);
    const pc = this.pc;
    this.pc = null;
    if (pc) pc.onconnectionstatechange = null;
    if (this.viewerId) {
      // End the view on the server first, then close the peer: a closed peer ends the view on
      // its own, and a stop sent after it would race that (the server answers 204 either way).
      const id = this.viewerId;
      this.viewerId = null;
      api("DELETE", `/api/live/${id}`, { quiet401: true })
        .catch(() => {})
        .finally(() => pc?.close());
    } else pc?.close();
    if (this.active && this.bundle) this.bundle.schedule(); // leaves (or rejoins) the group
    this.active = false;
    if (clear) this.video.srcObject = null;
  }
}
