// The ticket page (issue 16): nothing the agent types is lost or silently overwritten.
// - The reply draft is kept per ticket in this browser (localStorage): it survives the other
//   buttons (Save changes, Close, Reopen) and a reload, and is forgotten once the reply is sent.
// - Leaving with an unsent reply or unsaved property changes asks first (links on the page, and
//   the browser's own prompt for everything else).
// - The live poll (htmx, see templates/tickets/detail.html) says whether the agent is replying,
//   and never replaces the properties form while the agent has edited it.
(function () {
  "use strict";

  var page = document.getElementById("ticket-page");
  if (!page) {
    return;
  }
  var draftKey = "helpdesk:ticket-draft:" + page.getAttribute("data-ticket");
  var replyForm = document.getElementById("reply-form");
  var body = replyForm ? replyForm.querySelector("textarea[name=body]") : null;
  var draftStatus = document.getElementById("draft-status");
  var submitting = null; // the page's own form being submitted (not a way out)
  var confirmedLeave = false;
  var propertiesSnapshot = "";

  function store() {
    try {
      return window.localStorage;
    } catch (error) {
      return null;
    }
  }

  function readDraft() {
    var storage = store();
    if (!storage) {
      return null;
    }
    try {
      var draft = JSON.parse(storage.getItem(draftKey) || "null");
      return draft && typeof draft.body === "string" ? draft : null;
    } catch (error) {
      return null;
    }
  }

  function visibility() {
    var checked = replyForm.querySelector("input[name=visibility]:checked");
    return checked ? checked.value : "";
  }

  function saveDraft() {
    var storage = store();
    if (!storage || !body) {
      return;
    }
    if (body.value.trim()) {
      storage.setItem(
        draftKey,
        JSON.stringify({ body: body.value, visibility: visibility(), at: Date.now() })
      );
    } else {
      storage.removeItem(draftKey);
    }
    showDraftStatus();
  }

  function showDraftStatus() {
    if (draftStatus) {
      draftStatus.hidden = !(body && body.value.trim());
    }
  }

  function restoreDraft() {
    if (!body) {
      return;
    }
    var storage = store();
    if (page.getAttribute("data-reply-sent") === "true") {
      if (storage) {
        storage.removeItem(draftKey);
      }
      return;
    }
    var draft = readDraft();
    if (draft && !body.value.trim() && draft.body.trim()) {
      body.value = draft.body;
      var radio = replyForm.querySelector(
        "input[name=visibility][value='" + String(draft.visibility).replace(/[^a-z]/g, "") + "']"
      );
      if (radio) {
        radio.checked = true;
      }
    } else if (body.value.trim()) {
      saveDraft(); // the server sent the reply back (it was refused): keep it
    }
    showDraftStatus();
  }

  function hasUnsentReply() {
    return Boolean(body && body.value.trim());
  }

  // --- The properties form: edited or not ----------------------------------------------------

  function propertiesForm() {
    return document.getElementById("properties-form");
  }

  function propertiesValues() {
    var form = propertiesForm();
    if (!form) {
      return "";
    }
    return ["owner", "priority", "team", "source", "stage"]
      .map(function (name) {
        var field = form.elements.namedItem(name);
        return name + "=" + (field ? field.value : "");
      })
      .join("&");
  }

  function snapshotProperties() {
    // A form shown with errors (a save that was refused) counts as edited.
    var form = propertiesForm();
    var refused = form && form.querySelector(".is-invalid");
    propertiesSnapshot = refused ? "" : propertiesValues();
    markDirty();
  }

  function propertiesDirty() {
    return propertiesForm() !== null && propertiesValues() !== propertiesSnapshot;
  }

  function markDirty() {
    var dirty = propertiesDirty();
    document.querySelectorAll("[data-if-dirty]").forEach(function (element) {
      element.hidden = !dirty;
    });
    document.querySelectorAll("[data-if-clean]").forEach(function (element) {
      element.hidden = dirty;
    });
  }

  // --- Leaving ---------------------------------------------------------------------------------

  function wouldLose(form) {
    var reply = hasUnsentReply() && form === null;
    var properties = propertiesDirty() && form !== propertiesForm();
    return reply || properties;
  }

  document.addEventListener(
    "submit",
    function (event) {
      submitting = event.target;
      window.setTimeout(function () {
        submitting = null;
      }, 5000);
      if (event.target === replyForm) {
        saveDraft();
      }
    },
    true
  );

  window.addEventListener("beforeunload", function (event) {
    if (confirmedLeave || !wouldLose(submitting)) {
      return;
    }
    event.preventDefault();
    event.returnValue = "";
  });

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (!link || event.defaultPrevented || event.button !== 0) {
      return;
    }
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return; // opens elsewhere: nothing is left
    }
    if (link.target && link.target !== "_self") {
      return;
    }
    var href = link.getAttribute("href") || "";
    if (href.charAt(0) === "#" || link.hasAttribute("download")) {
      return;
    }
    if (!wouldLose(null)) {
      return;
    }
    if (window.confirm(page.getAttribute("data-leave-message"))) {
      confirmedLeave = true;
    } else {
      event.preventDefault();
    }
  });

  window.addEventListener("pagehide", function () {
    var url = page.getAttribute("data-leave-url");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (url && token && navigator.sendBeacon) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", token.value);
      navigator.sendBeacon(url, data);
    }
  });

  // --- The live poll ---------------------------------------------------------------------------

  // The poll sends the state the page's regions were rendered in; the server answers 204
  // (nothing to swap) when they would read the same, else the regions with the new state
  // (X-Ticket-State).
  document.body.addEventListener("htmx:configRequest", function (event) {
    var live = event.detail.elt;
    if (live && live.id === "ticket-live") {
      event.detail.parameters.replying = hasUnsentReply() ? "1" : "0";
      if (live.dataset.state) {
        event.detail.parameters.state = live.dataset.state;
      }
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var live = event.detail.elt;
    if (!live || live.id !== "ticket-live" || !event.detail.successful) {
      return;
    }
    live.dataset.state = event.detail.xhr.getResponseHeader("X-Ticket-State") || "";
  });

  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "properties-form" && propertiesDirty()) {
      event.detail.shouldSwap = false; // the agent's edits stay; the notice says what changed
    }
  });

  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "properties-form" && event.detail.shouldSwap) {
      snapshotProperties(); // a fresh form, with the ticket's values now
    }
    markDirty();
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element
      ? event.target.closest("[data-notice-dismiss]")
      : null;
    if (!button) {
      return;
    }
    var after = document.getElementById("live-notice-after");
    if (after) {
      after.value = button.getAttribute("data-notice-dismiss");
    }
    var notice = document.getElementById("ticket-notice");
    if (notice) {
      notice.replaceChildren();
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target === body) {
      saveDraft();
    } else if (propertiesForm() && propertiesForm().contains(event.target)) {
      markDirty();
    }
  });
  document.addEventListener("change", function (event) {
    if (replyForm && replyForm.contains(event.target)) {
      saveDraft();
    } else if (propertiesForm() && propertiesForm().contains(event.target)) {
      markDirty();
    }
  });

  restoreDraft();
  snapshotProperties();
})();
