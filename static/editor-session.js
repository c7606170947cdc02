// Warns a signed-in editor before their session ends, and lets them keep it.
// The page works without this: a form sent after the session ended is kept
// until they sign in again (directory/web/editor.py).
const WARN_BEFORE_MS = 5 * 60 * 1000

function start (banner) {
  const lifetime = Number(banner.dataset.lifetimeSeconds) * 1000
  const keepAlive = banner.dataset.keepAliveUrl
  const message = banner.querySelector('[data-session-message]')
  const button = banner.querySelector('button')
  let timer

  function schedule () {
    clearTimeout(timer)
    banner.hidden = true
    timer = setTimeout(warn, Math.max(lifetime - WARN_BEFORE_MS, 0))
  }

  function warn () {
    const endsAt = new Date(Date.now() + WARN_BEFORE_MS)
    const time = endsAt.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    message.textContent = `You will be signed out at ${time} unless you save or choose to stay signed in. What you have typed is kept either way.`
    banner.hidden = false
    button.focus()
  }

  button.addEventListener('click', async () => {
    const response = await fetch(keepAlive, { credentials: 'same-origin' })
    if (response.ok) {
      schedule()
    } else {
      message.textContent = 'You have been signed out. Save the form: you will be asked to sign in again, and what you typed is kept.'
    }
  })
  schedule()
}

const banner = document.querySelector('[data-module="app-session-warning"]')
if (banner) start(banner)
