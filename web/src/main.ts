import 'element-plus/dist/index.css'
import './styles/main.css'

import ElementPlus from 'element-plus'
import { createPinia } from 'pinia'
import { createApp } from 'vue'

import App from './App.vue'
import { i18n } from './i18n'
import { buildRouter } from './router'

const app = createApp(App)
app.use(createPinia())
app.use(i18n)
app.use(buildRouter())
app.use(ElementPlus)
app.mount('#app')
