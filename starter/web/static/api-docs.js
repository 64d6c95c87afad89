// Starts Swagger UI on /docs from a file of our own, so the page needs no inline script.
// The settings are FastAPI's defaults for its own /docs page; no validator (it would call another site).
(function () {
  var element = document.getElementById('swagger-ui')
  window.ui = window.SwaggerUIBundle({
    url: element.getAttribute('data-openapi-url'),
    dom_id: '#swagger-ui',
    layout: 'BaseLayout',
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset]
  })
})()
