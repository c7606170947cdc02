// Bundled by frontend/build.mjs into static/dist/app.js, loaded as
// <script type="module"> at the end of layout.html's <body>, so it runs after the DOM
// is parsed and only in browsers that govuk-frontend supports. Kept in a file (not
// inline) so a strict Content-Security-Policy needs no 'unsafe-inline'.
import {
  Button,
  Checkboxes,
  createAll,
  ErrorSummary,
  NotificationBanner,
  PasswordInput,
  Radios,
  ServiceNavigation,
  SkipLink
} from 'govuk-frontend'

// Only the components our templates use (initAll would bring all fourteen: 47 KB of
// JavaScript instead of a third of that). A template that starts using another
// govuk-frontend component with JavaScript adds it here.
for (const Component of [
  Button,
  Checkboxes,
  ErrorSummary,
  NotificationBanner,
  PasswordInput,
  Radios,
  ServiceNavigation,
  SkipLink
]) {
  createAll(Component)
}

// Long lists (the checker's profession question) are a plain <select> without
// JavaScript. With it, they become a type-ahead that also understands the words
// people type: "physio", "SALT", "OT", "chiropodist".
function enhanceSelects () {
  const autocomplete = window.accessibleAutocomplete
  if (!autocomplete) return
  for (const select of document.querySelectorAll('select[data-module="app-autocomplete"]')) {
    const synonyms = JSON.parse(select.dataset.synonyms || '{}')
    const options = [...select.options].filter(option => option.value)
    const id = select.id // the type-ahead's input takes this id
    const inError = select.classList.contains('govuk-select--error')
    autocomplete.enhanceSelectElement({
      selectElement: select,
      defaultValue: '',
      showAllValues: true,
      inputClasses: inError ? 'govuk-input--error' : null,
      // `chosen` is the suggestion picked, or undefined when someone leaves the box
      // without picking one. The library then keeps the earlier answer in the <select>
      // even if the box now says something else ("Zookeeper", or nothing): choose what
      // the box says, or nothing, so what is sent is what the person sees.
      onConfirm (chosen) {
        const shown = chosen ?? document.getElementById(id).value
        const text = shown.trim().toLowerCase()
        const match = options.find(option => option.textContent.trim().toLowerCase() === text)
        select.value = match ? match.value : ''
      },
      source (query, populate) {
        const typed = query.trim().toLowerCase()
        const matches = options.filter(option =>
          option.textContent.toLowerCase().includes(typed) ||
          (synonyms[option.value] || []).some(word => word.toLowerCase().includes(typed))
        )
        populate(matches.map(option => option.textContent.trim()))
      }
    })
    describeLikeTheSelect(document.getElementById(id), select)
  }
}

// The type-ahead's input is described only by its own usage hint, so a screen reader
// reaching it (as the error summary's link sends people there) would not read the
// question's hint or error message. Add them, as the <select> had them, and keep them
// there when the type-ahead redraws its own hint.
function describeLikeTheSelect (input, select) {
  const ours = (select.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
  if (!input || !ours.length) return
  const describe = () => {
    const current = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
    const wanted = [...ours, ...current.filter(ref => !ours.includes(ref))].join(' ')
    if (current.join(' ') !== wanted) input.setAttribute('aria-describedby', wanted)
  }
  describe()
  new MutationObserver(describe).observe(input, { attributeFilter: ['aria-describedby'] })
}

// The type-ahead's script (55 KB) loads only on pages with a long list, and only once
// the page is parsed, so it never holds up the first paint: the <select> works meanwhile.
// It comes from beside this file, under the same content-hashed path.
function loadTypeAhead () {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script')
    script.src = new URL('accessible-autocomplete.min.js', import.meta.url).href
    script.onload = resolve
    script.onerror = reject
    document.head.append(script)
  })
}

// Coming back to a page with the Back button (or reloading it), the browser puts the
// earlier answer back into the <select> only once the page has loaded. Enhancing before
// then leaves the type-ahead empty while that answer is still chosen (and sent on
// Continue), so wait for pageshow, which comes after the browser has put it back.
const navigation = performance.getEntriesByType('navigation')[0]
const restoring = navigation && ['back_forward', 'reload'].includes(navigation.type)
const restored = new Promise(resolve => {
  if (!restoring) resolve()
  window.addEventListener('pageshow', resolve, { once: true })
})
if (document.querySelector('select[data-module="app-autocomplete"]')) {
  Promise.all([loadTypeAhead(), restored]).then(enhanceSelects)
}
