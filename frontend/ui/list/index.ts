/** The pieces every list screen (call logs, contacts, users, audit) is built from. */
export { ListStates, ListToolbar } from "./ListStates";
export { SearchField } from "./SearchField";
export { Tabs, type TabOption } from "./Tabs";
export { usePagedList, type ListData, type PagedList, type Pager } from "./usePagedList";
