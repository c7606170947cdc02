// Loaded as <script type="module"> from layout.html, so it runs after the DOM
// is parsed and only in browsers that govuk-frontend supports. Kept in a file
// (not inline) so a strict Content-Security-Policy needs no 'unsafe-inline'.
import { initAll } from './dist/govuk-frontend.min.js'

initAll()
