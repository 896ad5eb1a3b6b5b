// The log viewer: each feature starts only if its element is on the page, so any of them can be
// removed from viewer.html (each module says at its top which elements it needs). Only #log is
// required. No build step: edit and reload.
import { connect } from "./connection.js";
import { startLevelMenu, startLiveButton, startPauseButton, startWrap } from "./controls.js";
import { startDetail } from "./detail.js";
import { startFiles } from "./files.js";
import { startFilter } from "./filter.js";
import { startGlance } from "./glance.js";
import { jumpToLive, jumpToStart, openAt, startHistory, startStartButton } from "./history.js";
import { bindKey } from "./keys.js";
import { log, setPaused, view } from "./log-window.js";
import { startPermalinks } from "./permalink.js";
import { startSearch } from "./search.js";
import { startStructure } from "./structure.js";
import { startTimeline } from "./timeline.js";

const element = (id) => document.getElementById(id);

startStructure();
bindKey([" "], () => setPaused(!view.paused), { onControls: false });
bindKey(["End", "G"], jumpToLive);
if (log.dataset.lines) {
  startHistory();
  bindKey(["Home", "g"], jumpToStart);
  if (element("start")) startStartButton(element("start"));
}
if (log.dataset.view) startPermalinks();
if (log.dataset.files) startFiles();
if (element("pause")) startPauseButton(element("pause"));
if (element("live")) startLiveButton(element("live"));
if (element("wrap")) startWrap(element("wrap"));
if (element("level")) startLevelMenu(element("level"));
if (element("filter")) startFilter(element("filter"));
if (element("detail") && element("detail-text")) startDetail(element("detail"), element("detail-text"));
if (element("level-summary") || element("minimap")) startGlance(element("level-summary"), element("minimap"));
if (element("search") && element("hits")) startSearch(element("search"), element("hits"));
if (element("timeline")) startTimeline(element("timeline"), log.dataset.lines ? openAt : null);
connect();
