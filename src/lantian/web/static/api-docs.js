/* Swagger UI for /api/docs, served from npm's swagger-ui-dist under /vendor (no CDN, no
   inline script: the page keeps the strict Content-Security-Policy). */
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  if (!window.SwaggerUIBundle || !el) { return; }
  window.ui = window.SwaggerUIBundle({
    url: el.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
