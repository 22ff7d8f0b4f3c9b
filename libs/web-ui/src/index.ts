export { mountUi, UI_CONTENT_SECURITY_POLICY, type MountUiOptions } from './mount-ui';
export { browserAvailable, CHROMIUM_PATH, launchChromium, watchedPage } from './browser-test';
