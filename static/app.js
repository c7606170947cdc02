// Loaded as <script type="module"> from layout.html, so it runs after the DOM
// is parsed and only in browsers that govuk-frontend supports. Kept in a file
// (not inline) so a strict Content-Security-Policy needs no 'unsafe-inline'.
import { initAll } from './dist/govuk-frontend.min.js'

initAll()

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
    autocomplete.enhanceSelectElement({
      selectElement: select,
      defaultValue: '',
      showAllValues: true,
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
  }
}

// Coming back to a page with the Back button (or reloading it), the browser puts the
// earlier answer back into the <select> only once the page has loaded. Enhancing before
// then leaves the type-ahead empty while that answer is still chosen (and sent on
// Continue), so wait for pageshow, which comes after the browser has put it back.
const navigation = performance.getEntriesByType('navigation')[0]
if (navigation && ['back_forward', 'reload'].includes(navigation.type)) {
  window.addEventListener('pageshow', enhanceSelects, { once: true })
} else if (document.readyState === 'loading') {
  // Deferred classic scripts (the type-ahead) have all run by DOMContentLoaded.
  document.addEventListener('DOMContentLoaded', enhanceSelects)
} else {
  enhanceSelects()
}
