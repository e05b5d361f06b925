/** The admin flash cookie's name and path, apart from its crypto so proxy.ts can import them alone. */
export const FLASH_COOKIE = "wt_admin_flash";
export const FLASH_PATH = "/admin";
/** The request header proxy.ts copies the cookie's value into for the page. */
export const FLASH_HEADER = "x-wt-admin-flash";
