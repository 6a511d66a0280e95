// The portal's page script, injected once by components/chrome.py. What Streamlit's own markup cannot
// do: a skip link to the message box, copy buttons, focus that returns to the message box after an
// action, a clear name for the stop control, and the final state of a reply after Stop without a reload.
(() => {
  if (window.__portalScript) return;
  window.__portalScript = true;
  const doc = window.document;
  const chatBox = () => doc.querySelector('[data-testid="stChatInputTextArea"]');
  const editBox = () => doc.querySelector('[class*="st-key-edit_text_"] textarea');
  const scriptState = () => (doc.querySelector('[data-testid="stApp"]') || {}).getAttribute?.("data-test-script-state");
  const running = () => ["running", "rerunRequested", "stopRequested"].includes(scriptState());

  // Skip link: the first thing Tab reaches.
  const skip = doc.createElement("a");
  skip.href = "#";
  skip.className = "portal-skip";
  skip.textContent = "Skip to the message box";
  skip.addEventListener("click", (event) => {
    event.preventDefault();
    const target = chatBox() || doc.querySelector('[data-testid="stMain"]');
    if (!target) return;
    if (!target.hasAttribute("tabindex") && target.tagName !== "TEXTAREA") target.setAttribute("tabindex", "-1");
    target.focus();
  });
  doc.body.prepend(skip);

  // Copy buttons (rendered by components/message_view.py): the text sits in data-copy.
  const copyText = async (text) => {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (error) {
      const area = doc.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      doc.body.appendChild(area);
      area.select();
      const done = doc.execCommand("copy");
      area.remove();
      return done;
    }
  };
  doc.addEventListener("click", async (event) => {
    const button = event.target.closest?.(".portal-copy");
    if (!button) return;
    const ok = await copyText(button.getAttribute("data-copy") || "");
    const label = button.querySelector(".portal-copy-label");
    if (label) {
      const before = label.dataset.label || label.textContent;
      label.dataset.label = before;
      label.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(() => { label.textContent = before; }, 1500);
    }
    const status = doc.getElementById("portal-live");
    if (status) status.textContent = ok ? "Copied to the clipboard" : "Could not copy";
  });
  const live = doc.createElement("div");
  live.id = "portal-live";
  live.className = "portal-sr-only";
  live.setAttribute("aria-live", "polite");
  doc.body.appendChild(live);

  // Stop: remember it, and once the run has ended ask for one more run, which draws the final state
  // (the "Stopped" marker, Regenerate) without a reload.
  let stopRequested = false;
  let focusAfterRun = false;
  doc.addEventListener("click", (event) => {
    const target = event.target;
    if (!target.closest) return;
    if (target.closest('[data-testid="stChatInputStopButton"]') || target.closest('[data-testid="stStatusWidget"] button')) {
      stopRequested = true;
      focusAfterRun = true;
    }
    // An action under a message (Edit, Regenerate, the branch arrows) or the edit form's buttons: the
    // focus goes to the edit box or the message box once the run has drawn the result.
    const inEditForm = target.closest('[data-testid="stForm"]')?.querySelector('[class*="st-key-edit_text_"]');
    if ((target.closest('[class*="st-key-act_"] button') && !target.closest(".portal-copy")) || (inEditForm && target.closest("button"))) {
      focusAfterRun = true;
    }
  }, true);

  // The click that asks for the final run can land while the server is still winding the stopped run
  // down, and then no run follows; so it is clicked again until a run is seen to start.
  let runSeen = false;
  const askForFinalRun = (tries) => {
    const again = doc.querySelector('[class*="st-key-portal_hidden_after_stop"] button');
    if (!again || tries <= 0) return;
    runSeen = false;
    again.click();
    setTimeout(() => { if (!runSeen && !running()) askForFinalRun(tries - 1); }, 1500);
  };

  // Two scrollers bring part of a conversation into view while the page is still being drawn; each
  // stops at the reader's first scroll, key or click after it started (movedAt), so a menu opened at
  // the top stays in view.
  let movedAt = 0;
  ["wheel", "touchmove", "keydown", "pointerdown"].forEach((name) => doc.addEventListener(name, () => { movedAt = Date.now(); }, { passive: true, capture: true }));

  // A conversation opened at one message (a link from the embeddings page): that message, until the
  // page settles.
  const keepInView = (target, since, until) => {
    const message = target.closest('[data-testid="stChatMessage"]');
    if (!message || !message.isConnected || movedAt > since || Date.now() > until) return;
    const box = message.getBoundingClientRect();
    if (box.bottom < 0 || box.top > window.innerHeight) message.scrollIntoView({ block: "center" });
    setTimeout(() => keepInView(target, since, until), 200);
  };

  // Any other conversation opens at its end, as chats do (the chat page sends its newest turns first
  // and the older ones into a slot above them): the bottom, until the page settles (10 s at most), or
  // until a message the link opened at takes over.
  let openedConversation = null;
  const keepAtEnd = (since, until) => {
    const main = doc.querySelector('[data-testid="stMain"]');
    if (movedAt > since || Date.now() > until || doc.querySelector(".portal-target")) return;
    if (main) main.scrollTop = main.scrollHeight;
    const settled = running() ? Date.now() + 1000 : until;  // a run still drawing: a second after it ends
    setTimeout(() => keepAtEnd(since, Math.min(Math.max(until, settled), since + 10000)), 100);
  };
  const conversationOpened = () => {
    const query = new URLSearchParams(window.location.search);
    const opened = query.get("c");
    if (opened === openedConversation) return;
    openedConversation = opened;
    if (opened && !query.get("m")) keepAtEnd(Date.now(), Date.now() + 4000);
  };

  let lastFocused = null;
  doc.addEventListener("focusin", (event) => { lastFocused = event.target; });

  const focusInput = (tries = 20) => {
    // The edit box's container can be on the page a moment before its text area is.
    if (!editBox() && doc.querySelector('[class*="st-key-edit_text_"]') && tries > 0) {
      setTimeout(() => focusInput(tries - 1), 50);
      return;
    }
    const box = editBox() || chatBox();
    if (box && !box.disabled && !doc.querySelector('[role="dialog"]')) box.focus();
  };

  // A page that lost its server and reconnected (a restart, or another instance behind the proxy)
  // has a new session there, which has not run the page yet; until it has, the message box (a
  // fragment, components/composer.py) would send to a fragment that session does not know. So once
  // reconnected, the page asks for one full run.
  let connected = false;
  let disconnected = false;

  const onChange = () => {
    const connection = doc.querySelector('[data-testid="stApp"]')?.getAttribute("data-test-connection-state");
    if (connection === "CONNECTED") {
      connected = true;
    } else if (connection && connected) {  // lost after being connected (not the page's first connection)
      disconnected = true;
      return;
    }
    if (disconnected && !running()) {
      disconnected = false;
      askForFinalRun(3);
      return;
    }
    const skipText = chatBox() ? "Skip to the message box" : "Skip to the content";
    if (skip.textContent !== skipText) skip.textContent = skipText;
    const stop = doc.querySelector('[data-testid="stChatInputStopButton"]');
    if (stop && stop.getAttribute("aria-label") !== "Stop the reply") stop.setAttribute("aria-label", "Stop the reply");
    doc.querySelectorAll('[class*="st-key-conv_title_current_"] button:not([aria-current])').forEach((b) => b.setAttribute("aria-current", "page"));
    conversationOpened();
    if (running()) return;
    // A conversation opened at one message (a link from the embeddings page): bring it into view.
    const target = doc.querySelector(".portal-target:not([data-portal-scrolled])");
    if (target) {
      target.setAttribute("data-portal-scrolled", "1");
      keepInView(target, Date.now(), Date.now() + 4000);
    }
    if (stopRequested) {
      stopRequested = false;
      askForFinalRun(3);
      return;
    }
    const lost = doc.activeElement === doc.body || (lastFocused && !lastFocused.isConnected);
    if (focusAfterRun || (lost && lastFocused && !lastFocused.isConnected)) {
      focusAfterRun = false;
      lastFocused = null;
      focusInput();
    }
  };
  let scheduled = false;
  new MutationObserver(() => {
    if (running()) runSeen = true;
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; onChange(); });
  }).observe(doc.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-test-script-state", "data-test-connection-state", "disabled"] });
})();
