// GOV.UK Frontend's components (conditional reveals, error summary focus, the navigation's menu button).
import { initAll } from '/assets/govuk-frontend/govuk-frontend.min.js'
initAll()

// A part of a page that follows something still running (an import's progress) reads the page again every few
// seconds and takes the new part in place: no reload, so focus and the reader's place are kept (a meta refresh
// would fail WCAG 2.2.1). It stops when the new part no longer asks to be followed.
const live = document.querySelector('[data-cpj-poll]')
if (live) {
  const follow = async () => {
    const seconds = Number(live.dataset.cpjPoll) || 3
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
    const answer = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
    if (!answer.ok) return
    const fresh = new DOMParser().parseFromString(await answer.text(), 'text/html').getElementById(live.id)
    if (!fresh) return
    live.innerHTML = fresh.innerHTML
    if (fresh.dataset.cpjPoll) {
      live.dataset.cpjPoll = fresh.dataset.cpjPoll
      follow()
    } else {
      delete live.dataset.cpjPoll
    }
  }
  follow()
}
