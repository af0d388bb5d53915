// One peer connection for the whole wall: a recvonly video m-line per tile, in tile order;
// each incoming track goes to the tile of its transceiver. Tiles still show their own state.

import { api } from "../../api.js";
import { replace } from "../../dom.js";
import { t } from "../../i18n.js";
import { iceConfig } from "./ice.js";
import { gathered, RETRY_MS } from "./tile.js";

/** H.264 only: the server passes H.264 through, and a 64-line offer stays small. */
function preferH264(transceiver) {
  const caps = window.RTCRtpReceiver?.getCapabilities?.("video");
  if (!caps || !transceiver.setCodecPreferences) return;
  const codecs = caps.codecs.filter((c) => /^video\/(h264|rtx)$/i.test(c.mimeType));
  if (codecs.some((c) => /h264/i.test(c.mimeType))) transceiver.setCodecPreferences(codecs);
}

export class Bundle {
  /** `tilesOf` returns the wall's current tiles; those that want a stream join the group. */
  constructor(tilesOf) {
    this.tilesOf = tilesOf;
    this.pc = null;
    this.groupId = null;
    this.key = "";
    this.members = []; // tiles in m-line order
    this.failedSlots = new Map(); // tile -> reason code
    this.timer = null;
    this.retryTimer = null;
    this.attempt = 0;
    this.closed = false;
  }

  /** Tiles that want a stream through the group right now. */
  wanted() {
    return this.tilesOf().filter((x) => x.active && x.camera && !x.offscreen && x.bundled());
  }

  /** Rebuild soon (many tiles change at once on a layout change: one rebuild for all). */
  schedule() {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.sync(), 30);
  }

  /** Renegotiate when the set of tiles and cameras changed or the connection is gone. */
  sync() {
    const wanted = this.wanted();
    const key = wanted.map((x) => `${x.index}:${x.camera.id}`).join(",");
    const alive = this.pc && !["failed", "closed"].includes(this.pc.connectionState);
    if (key === this.key && (alive || !wanted.length)) return this.mark();
    this.open(wanted, key);
  }

  /** Each member tile's state from the shared connection. */
  mark() {
    const state = this.pc?.connectionState;
    for (const tile of this.members) {
      if (!tile.active) continue;
      const failed = this.failedSlots.get(tile);
      if (failed) {
        tile.el.dataset.state = "failed";
        replace(tile.note, t("wall.failed", { reason: failed }));
      } else if (state === "connected") {
        tile.el.dataset.state = "playing";
        replace(tile.note, "");
      } else if (["failed", "disconnected", "closed"].includes(state)) {
        tile.el.dataset.state = "reconnecting";
        replace(tile.note, t("wall.reconnecting"));
      } else {
        tile.el.dataset.state = "connecting";
        replace(tile.note, t("wall.connecting"));
      }
    }
  }

  connected() {
    return this.pc?.connectionState === "connected";
  }

  async open(wanted, key) {
    this.hangUp();
    this.key = key;
    this.members = wanted;
    this.failedSlots = new Map();
    if (!wanted.length) return;
    const token = (this.opening = {});
    const ice = await iceConfig();
    if (this.opening !== token || this.closed) return; // superseded while reading the settings
    const pc = new RTCPeerConnection({ ...ice, bundlePolicy: "max-bundle" });
    this.pc = pc;
    const byTransceiver = new Map();
    for (const tile of wanted) {
      const tr = pc.addTransceiver("video", { direction: "recvonly" });
      preferH264(tr);
      byTransceiver.set(tr, tile);
    }
    pc.ontrack = (e) => {
      const tile = byTransceiver.get(e.transceiver);
      if (tile) tile.video.srcObject = new MediaStream([e.track]);
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "connected") this.attempt = 0;
      this.mark();
      if (["failed", "disconnected", "closed"].includes(pc.connectionState)) this.retry();
    };
    this.mark();
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const answer = await api("POST", "/api/live/offer-group", {
        body: {
          cameras: wanted.map((x) => x.camera.id),
          sdp: pc.localDescription.sdp,
          type: "offer",
          stream: "auto",
          allow_transcode: false, // those cameras leave the group for MSE or their own transcode
        },
      });
      if (pc !== this.pc) {
        api("DELETE", `/api/live/groups/${answer.group_id}`).catch(() => {});
        return;
      }
      this.groupId = answer.group_id;
      answer.tracks.forEach((slot, i) => {
        const tile = wanted[i];
        tile.el.dataset.mode = slot.mode || "";
        if (slot.error === "needs_transcode") tile.leaveBundle(slot);
        else if (slot.error) this.failedSlots.set(tile, slot.error);
      });
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      this.mark();
    } catch (err) {
      if (pc !== this.pc) return;
      const code = err?.problem?.type?.split("/").pop() || "error";
      if (code === "needs_transcode") {
        wanted.forEach((tile) => tile.leaveBundle()); // each finds its own way
        return;
      }
      for (const tile of wanted) {
        tile.el.dataset.state = "failed";
        replace(tile.note, t("wall.failed", { reason: code }));
      }
      if (err?.status !== 403 && err?.status !== 404) this.retry();
    }
  }

  retry() {
    clearTimeout(this.retryTimer);
    const wait = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    this.key = ""; // forces a new connection
    this.retryTimer = setTimeout(() => this.sync(), wait);
  }

  /** Close the connection and end the group on the server. */
  hangUp() {
    this.opening = null;
    const pc = this.pc;
    this.pc = null;
    if (pc) {
      pc.onconnectionstatechange = null;
      pc.ontrack = null;
    }
    if (this.groupId) {
      // End the group on the server first, then close the peer: a closed peer ends the group
      // on its own, and a stop sent after it would race that.
      const id = this.groupId;
      this.groupId = null;
      api("DELETE", `/api/live/groups/${id}`, { quiet401: true })
        .catch(() => {})
        .finally(() => pc?.close());
    } else pc?.close();
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.hangUp();
    this.members = [];
    this.key = "";
  }
}
