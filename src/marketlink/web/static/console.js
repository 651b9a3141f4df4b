// MarketLink console: the little behaviour the server-rendered pages need. No inline scripts
// anywhere (the CSP forbids them); everything hangs on data- attributes.
//
//   <div data-refresh-url="/console/..." data-refresh-ms="1000">  swapped for the answer of a
//       GET of that URL every so often, until an answer carries data-final (or has no
//       data-refresh-url of its own); the answer is a fragment rendered by the server.
//   <button data-copy="ELEMENT-ID">  copies that element's text to the clipboard.
//   <form data-confirm="Question?">  asks before submitting.
"use strict";

function refreshLater(element) {
  const url = element.getAttribute("data-refresh-url");
  if (!url || element.hasAttribute("data-final")) return;
  const every = Number(element.getAttribute("data-refresh-ms") || "2000");
  window.setTimeout(async () => {
    try {
      const answer = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (!answer.ok) { refreshLater(element); return; }
      const holder = document.createElement("div");
      holder.innerHTML = await answer.text();
      const next = holder.firstElementChild;
      if (!next) { refreshLater(element); return; }
      element.replaceWith(next);
      refreshLater(next);
    } catch (e) {
      refreshLater(element);
    }
  }, every);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh-url]").forEach(refreshLater);
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "Copied";
      } catch (e) {
        window.getSelection().selectAllChildren(source);
        button.textContent = "Selected: press Ctrl+C";
      }
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
});
